"""Scoring model answers against an eval set: parsing, metrics, aggregation, the verdict.

Pure Python, no Airflow import: ``operators/evaluation.py`` asks the models and feeds
the answers here. An eval set is JSON lines, one example each::

    {"messages": [{"role": "user", "content": "2 + 2?"}], "expected": "4"}
    {"prompt": "Name a primary colour", "expected": "red", "pattern": "(?i)red|blue|yellow", "id": "colour"}

Every metric scores one answer in [0, 1]. A metric that cannot apply to an example
(no expected text to compare with, no pattern) is skipped for it, and a model's mean
on a metric is taken over the examples it applies to. A request that failed scores 0
on every metric that applies, so errors count against the model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_openai_adv import safe_json
from airflow_provider_openai_adv import validation as check

METRICS = ("exact_match", "contains", "regex", "json_valid", "cosine")
NEEDS_EXPECTED = frozenset({"exact_match", "contains", "cosine"})
# JSON lines end in LF (or CRLF, CR); U+2028, NEL and the other breaks str.splitlines()
# knows may stand raw inside a JSON string, so they do not end a line.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` does not compile, or ``None`` when it does. A hostile pattern may
    also overflow (``a{99999999999999999}``) or recurse too deeply (thousands of nested
    groups) rather than raise ``re.error``; each is a reason like any other."""
    try:
        re.compile(pattern)
    except re.error as error:
        return str(error)
    except OverflowError as error:
        return str(error)
    except RecursionError:
        return "nested too deeply"
    return None


@dataclass(frozen=True)
class Example:
    id: str
    messages: list[dict[str, Any]]
    expected: str | None = None
    pattern: str | None = None

    @property
    def prompt(self) -> str:
        """The last user message's text: what the example asks."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    texts = (part.get("text") for part in content if isinstance(part, dict))
                    return " ".join(text for text in texts if isinstance(text, str))  # a part's "text" is not checked
                return content if isinstance(content, str) else ""
        return ""

    def regex(self) -> str | None:
        """The pattern for the ``regex`` metric: its own, else the expected text if it compiles."""
        if self.pattern is not None:
            return self.pattern
        if self.expected is None or regex_problem(self.expected) is not None:
            return None
        return self.expected

    def applicable(self, metrics: Collection[str]) -> list[str]:
        """The metrics that can score this example."""
        return [
            metric
            for metric in metrics
            if not (metric in NEEDS_EXPECTED and self.expected is None) and not (metric == "regex" and not self.regex())
        ]


def parse_eval_set(text: str, *, argument: str = "eval_file") -> list[Example]:
    """The examples of a JSONL eval set; a bad line raises naming ``argument`` and the line."""
    examples: list[Example] = []
    seen: set[str] = set()
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if not line.strip():
            continue
        try:
            example = _parse_example(safe_json.loads(line), default_id=str(number))
        except safe_json.UnsafeJSONError as problem:
            raise check.fail(argument, f"line {number}: {problem}") from None
        except ValueError as problem:  # OpenAIValidationError is one too
            raise check.fail(argument, f"line {number}: {problem}") from None
        if example.id in seen:
            raise check.fail(argument, f"line {number}: id {example.id!r} is used twice")
        seen.add(example.id)
        examples.append(example)
    if not examples:
        raise check.fail(argument, "holds no examples")
    return examples


def _parse_example(record: Any, *, default_id: str) -> Example:
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    if ("messages" in record) == ("prompt" in record):
        raise ValueError('expected either "messages" or "prompt"')
    if "prompt" in record:
        messages = [{"role": "user", "content": check.require_text("prompt", record["prompt"])}]
    else:
        messages = record["messages"]
        check.require_messages("messages", messages)
    expected, pattern = record.get("expected"), record.get("pattern")
    if expected is None and pattern is None:
        raise ValueError('expected "expected" (or at least a "pattern")')
    if expected is not None:
        check.require_text("expected", expected)
    if pattern is not None:
        check.require_text("pattern", pattern)
        problem = regex_problem(pattern)
        if problem is not None:
            raise ValueError(f"pattern: not a valid regular expression: {problem}")
    identifier = record.get("id", default_id)
    if isinstance(identifier, bool) or not isinstance(identifier, (str, int)):
        raise ValueError("id: expected text or a number")
    return Example(str(identifier), messages, expected, pattern)


# -- metrics: each a score in [0, 1] -------------------------------------------------------


def exact_match(answer: str, expected: str) -> float:
    """1 when the answer is the expected text, ignoring surrounding space and case."""
    return float(answer.strip().casefold() == expected.strip().casefold())


def contains(answer: str, expected: str) -> float:
    """1 when the expected text appears in the answer, ignoring case."""
    return float(expected.strip().casefold() in answer.casefold())


def regex(answer: str, pattern: str) -> float:
    """1 when the pattern matches somewhere in the answer (``re.search``)."""
    return float(re.search(pattern, answer) is not None)


def json_valid(answer: str) -> float:
    """1 when the whole answer parses as JSON (a fenced code block does not)."""
    try:
        safe_json.loads(answer)
    except safe_json.UnsafeJSONError:
        return 0.0
    return 1.0


def cosine(first: Sequence[float], second: Sequence[float]) -> float:
    """Cosine similarity of two embeddings; opposite directions count as 0, not -1."""
    norms = math.sqrt(sum(x * x for x in first)) * math.sqrt(sum(y * y for y in second))
    if not norms:
        return 0.0
    return min(1.0, max(0.0, sum(x * y for x, y in zip(first, second, strict=True)) / norms))


def text_scores(example: Example, answer: str, metrics: Collection[str]) -> dict[str, float]:
    """Every applicable metric but ``cosine``, which needs embeddings (see :func:`cosine`)."""
    scorers = {
        "exact_match": lambda: exact_match(answer, example.expected or ""),
        "contains": lambda: contains(answer, example.expected or ""),
        "regex": lambda: regex(answer, example.regex() or ""),
        "json_valid": lambda: json_valid(answer),
    }
    return {metric: scorers[metric]() for metric in example.applicable(metrics) if metric in scorers}


# -- results, aggregation, verdict ---------------------------------------------------------


@dataclass
class Result:
    """One model's answer to one example; ``answer`` is ``None`` when the request failed."""

    answer: str | None
    scores: dict[str, float] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Summary:
    count: int
    errors: int
    means: dict[str, float]  # per metric, over the examples it applies to


@dataclass
class Evaluation:
    """The answers of every model to every example (``results[model][i]`` answers ``examples[i]``)."""

    models: list[str]
    metrics: Sequence[str]
    gate_metric: str
    examples: list[Example]
    results: dict[str, list[Result]]

    def summary(self, model: str) -> Summary:
        results = self.results[model]
        means = {}
        for metric in self.metrics:
            scores = [result.scores[metric] for result in results if metric in result.scores]
            if scores:
                means[metric] = sum(scores) / len(scores)
        return Summary(len(results), sum(result.error is not None for result in results), means)

    def gate_scores(self) -> dict[str, float | None]:
        return {model: self.summary(model).means.get(self.gate_metric) for model in self.models}

    def winner(self) -> str | None:
        """The best model on the gate metric; a tie goes to the one listed first."""
        scored = [
            (score, -order, model)
            for order, (model, score) in enumerate(self.gate_scores().items())
            if score is not None
        ]
        return max(scored)[2] if scored else None

    def verdict(self, min_score: float | None) -> tuple[bool, str]:
        """Whether the candidate (the first model) passes, and why.

        It passes when it reaches ``min_score`` (if given) on the gate metric and
        scores at least as well there as every other model.
        """
        scores = self.gate_scores()
        candidate = self.models[0]
        score = scores[candidate]
        if score is None:
            return False, f"{candidate} has no {self.gate_metric} score: no example could be scored on it"
        if min_score is not None and score < min_score:
            return False, f"{candidate} scored {score:.3f} on {self.gate_metric}, below min_score {min_score:g}"
        for model, other in scores.items():
            if other is not None and other > score:
                return False, f"{model} scored {other:.3f} on {self.gate_metric}, more than {candidate}'s {score:.3f}"
        return True, f"{candidate} scored {score:.3f} on {self.gate_metric}"

    def report(self) -> dict[str, Any]:
        """Everything, JSON-able: per model its summary and every answer with its scores."""
        return {
            "metrics": list(self.metrics),
            "gate_metric": self.gate_metric,
            "winner": self.winner(),
            "models": {
                model: {
                    **_summary_dict(self.summary(model)),
                    "examples": [
                        {
                            "id": example.id,
                            "prompt": example.prompt,
                            "expected": example.expected,
                            "answer": result.answer,
                            "scores": result.scores,
                            **({"error": result.error} if result.error else {}),
                        }
                        for example, result in zip(self.examples, self.results[model], strict=True)
                    ],
                }
                for model in self.models
            },
        }

    def summaries(self) -> dict[str, dict[str, Any]]:
        """Per model: count, errors and the mean of each metric (the report without the answers)."""
        return {model: _summary_dict(self.summary(model)) for model in self.models}

    def table(self) -> str:
        """Models × metrics as fixed-width text; ``*`` marks the winner, ``-`` a metric with no score."""
        return summary_table(self.summaries(), self.metrics, self.winner())


def summary_table(summaries: dict[str, dict[str, Any]], metrics: Sequence[str], winner: str | None) -> str:
    """The table of :meth:`Evaluation.table`, from summaries (as XCom holds them)."""
    rows = [["  model", "n", "errors", *metrics]]
    for model, summary in summaries.items():
        means = [f"{summary['scores'][m]:.3f}" if m in summary["scores"] else "-" for m in metrics]
        mark = "*" if model == winner else " "
        rows.append([f"{mark} {model}", str(summary["count"]), str(summary["errors"]), *means])
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([row[0].ljust(widths[0]), *cells]))
    return "\n".join(lines)


def _summary_dict(summary: Summary) -> dict[str, Any]:
    return {"count": summary.count, "errors": summary.errors, "scores": summary.means}


def check_metrics(metrics: Any, gate_metric: Any) -> list[str]:
    """The metrics to compute; the gate metric must be among them."""
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)) or not metrics:
        raise check.fail("metrics", f"expected a non-empty list among {', '.join(METRICS)}")
    for metric in metrics:
        check.require_choice("metrics", metric, METRICS)
    if gate_metric not in metrics:
        raise check.fail("gate_metric", f"{gate_metric!r} is not among metrics ({', '.join(metrics)})")
    return list(dict.fromkeys(metrics))

"""Evaluate models against an eval set, concurrently; gate or branch on the result."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.branch import BranchMixIn

from airflow_provider_openai_adv import evaluation as ev
from airflow_provider_openai_adv import validation as check
from airflow_provider_openai_adv.exceptions import InvalidResponseError, OpenAIAdvError
from airflow_provider_openai_adv.operators.base import OpenAIAdvOutputOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

EMBEDDING_BATCH = 2048  # the most inputs one embeddings request takes
Answer = tuple[str | None, str | None, dict[str, Any]]  # (answer, error, usage) of one chat completion


class OpenAIEvaluateModelOperator(OpenAIAdvOutputOperator, BranchMixIn):
    """Ask every model every question of an eval set and score the answers.

    The chat completions run concurrently, ``max_concurrency`` at a time, sharing one
    client. The table of mean scores (models × metrics) goes to the task log; with
    ``output_path`` the full report, every answer with its scores, is written to
    ``<output_path>/<task_id>[-<map_index>].json``. XCom holds a summary: per-model
    means, the winner on ``gate_metric``, ``passed`` and the report's path. Token usage,
    summed over every call, is pushed under the key ``usage``. See ``docs/evaluation.md``.

    The first model is the candidate. It passes when it reaches ``min_score`` (if
    given) on ``gate_metric`` and scores at least as well there as each other model.
    With ``min_score`` and no branch ids, a candidate that does not pass fails the task
    (without retries: the same answers would get the same scores). With
    ``pass_task_ids`` and/or ``fail_task_ids`` the operator branches instead, following
    one or the other and skipping the rest of its downstream tasks.

    :param eval_file: the eval set, JSON lines, a local path or an object-storage URI (templated).
    :param models: the models to compare, the candidate first (templated: a fine-tuned
        model id usually comes from XCom).
    :param metrics: among ``exact_match``, ``contains``, ``regex``, ``json_valid``, ``cosine``.
    :param max_concurrency: requests in flight at once.
    :param embedding_model: embeds answers and expected texts for ``cosine``.
    """

    templated = ("eval_file", "models")
    inherits_from_skipmixin = True  # tells the scheduler the task may skip its downstream tasks

    def __init__(
        self,
        *,
        eval_file: str,
        models: list[str],
        metrics: Sequence[str] = ("exact_match", "contains", "json_valid", "cosine"),
        gate_metric: str = "exact_match",
        min_score: float | None = None,
        max_concurrency: int = 8,
        embedding_model: str = "text-embedding-3-small",
        temperature: float = 0,
        max_completion_tokens: int | None = None,
        pass_task_ids: str | list[str] | None = None,
        fail_task_ids: str | list[str] | None = None,
        output_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)

    @property
    def branching(self) -> bool:
        return self.pass_task_ids is not None or self.fail_task_ids is not None

    def execute(self, context: Context) -> Any:
        models, metrics, examples = self._check_arguments()
        hook = self.hook
        hook.get_conn()  # the client is built here, once, rather than by several threads at the same time
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="evaluate") as pool:
            asked = {model: [pool.submit(self._ask, hook, model, example) for example in examples] for model in models}
            answers = {model: [future.result() for future in futures] for model, futures in asked.items()}
        usage: dict[str, int] = {}
        results = {model: self._score(model, examples, metrics, answers[model], usage) for model in models}
        evaluation = ev.Evaluation(models, metrics, self.gate_metric, examples, results)
        if "cosine" in metrics:
            self._score_cosine(hook, evaluation, usage)
        self.log.info(
            "%d examples x %d models in %.1f s (* best on %s):\n%s",
            len(examples),
            len(models),
            time.monotonic() - started,
            self.gate_metric,
            evaluation.table(),
        )
        self.record_usage({"usage": usage}, context)
        path = None
        if self.output_path:
            from airflow_provider_openai_adv.hooks.storage import write_bytes

            report = {"eval_file": str(self.eval_file), **evaluation.report()}
            path = write_bytes(self.output_file(context, ".json"), json.dumps(report, indent=2).encode())
        passed, reason = evaluation.verdict(self.min_score)
        summary = {
            "candidate": models[0],
            "gate_metric": self.gate_metric,
            "min_score": self.min_score,
            "winner": evaluation.winner(),
            "passed": passed,
            "examples": len(examples),
            "models": evaluation.summaries(),
            "report_path": path,
        }
        if self.min_score is not None or self.branching:
            self.log.info("Quality gate %s: %s", "passed" if passed else "not passed", reason)
        if self.branching:
            # ``do_branch`` ends the task by raising when it skips tasks, before the return value is pushed.
            if self.do_xcom_push:
                context["ti"].xcom_push(key="return_value", value=summary)
            self.do_branch(context, self.pass_task_ids if passed else self.fail_task_ids)
            return None
        if self.min_score is not None and not passed:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(f"Quality gate failed: {reason}")
        return summary

    def _check_arguments(self) -> tuple[list[str], list[str], list[ev.Example]]:
        """Every argument, before any request; the eval set is read here too."""
        from airflow_provider_openai_adv.hooks.storage import check_output_folder, open_source

        models = self.models
        if isinstance(models, str) or not isinstance(models, (list, tuple)) or not models:
            raise check.fail("models", "expected a non-empty list of model ids")
        for index, model in enumerate(models):
            check.require_id(f"models[{index}]", model)
        if len(set(models)) < len(models):
            raise check.fail("models", "a model is listed twice")
        metrics = ev.check_metrics(self.metrics, self.gate_metric)
        check.require_range("min_score", self.min_score, 0, 1)
        check.require_range("max_concurrency", self.max_concurrency, 1, integer=True)
        check.check_sampling({"temperature": self.temperature, "max_completion_tokens": self.max_completion_tokens})
        if "cosine" in metrics:
            check.require_id("embedding_model", self.embedding_model)
        for name in ("pass_task_ids", "fail_task_ids"):
            self._check_branch(name, getattr(self, name))
        if self.output_path is not None:
            check_output_folder(self.output_path)
        with open_source(self.eval_file, argument="eval_file") as source:
            content = source.read()
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise check.fail("eval_file", f"{self.eval_file} is not UTF-8 text (byte {error.start})") from None
        return list(models), metrics, ev.parse_eval_set(text, argument="eval_file")

    def _check_branch(self, name: str, task_ids: Any) -> None:
        if task_ids is None:
            return
        ids = [task_ids] if isinstance(task_ids, str) else task_ids
        if not isinstance(ids, (list, tuple)) or not all(isinstance(task_id, str) for task_id in ids):
            raise check.fail(name, "expected a task id or a list of task ids")
        if self.has_dag():
            known = set(self.dag.task_ids) | set(self.dag.task_group_dict)
            unknown = [task_id for task_id in ids if task_id not in known]
            if unknown:
                raise check.fail(name, f"no task or task group {', '.join(map(repr, unknown))} in this DAG")

    def _ask(self, hook: OpenAIAdvHook, model: str, example: ev.Example) -> Answer:
        """``(answer, error, usage)``; an API error is kept, so one failed example does not end the run."""
        params = {"temperature": self.temperature}
        if self.max_completion_tokens is not None:
            params["max_completion_tokens"] = self.max_completion_tokens
        try:
            completion = hook.create_chat_completion(model=model, messages=example.messages, **params)
        except OpenAIAdvError as error:
            return None, str(error), {}
        usage = completion.get("usage")
        return _first_answer(completion), None, usage if isinstance(usage, dict) else {}

    def _score(
        self,
        model: str,
        examples: list[ev.Example],
        metrics: list[str],
        answers: list[Answer],
        usage: dict[str, int],
    ) -> list[ev.Result]:
        """Text scores of one model's answers; a failed request scores 0 wherever a metric applies."""
        if all(error for _, error, _ in answers):
            raise OpenAIAdvError(f"every request to {model} failed; the first: {answers[0][1]}")
        results = []
        for example, (answer, error, spent) in zip(examples, answers, strict=True):
            _add_usage(usage, spent)
            if error is not None:
                self.log.warning("%s, example %s: %s", model, example.id, error)
                results.append(ev.Result(None, dict.fromkeys(example.applicable(metrics), 0.0), error))
            else:
                results.append(ev.Result(answer, ev.text_scores(example, answer, metrics)))
        return results

    def _score_cosine(self, hook: OpenAIAdvHook, evaluation: ev.Evaluation, usage: dict[str, int]) -> None:
        """Embed the expected texts once and each model's answers in one batch, then compare."""
        expected = self._embed(hook, [example.expected or "" for example in evaluation.examples], usage)
        for results in evaluation.results.values():
            answers = self._embed(hook, [result.answer or "" for result in results], usage)
            for example, result in zip(evaluation.examples, results, strict=True):
                if "cosine" in example.applicable(evaluation.metrics):
                    vectors = expected.get(example.expected or ""), answers.get(result.answer or "")
                    if vectors[0] and vectors[1] and len(vectors[0]) != len(vectors[1]):
                        raise InvalidResponseError(
                            "the embeddings of the answers and of the expected texts differ in size"
                        )
                    result.scores["cosine"] = ev.cosine(*vectors) if vectors[0] and vectors[1] else 0.0

    def _embed(self, hook: OpenAIAdvHook, texts: list[str], usage: dict[str, int]) -> dict[str, list[float]]:
        """Vectors for the distinct non-empty texts (which the API refuses to embed)."""
        unique = [text for text in dict.fromkeys(texts) if text.strip()]
        vectors: dict[str, list[float]] = {}
        for start in range(0, len(unique), EMBEDDING_BATCH):
            batch = unique[start : start + EMBEDDING_BATCH]
            response = hook.create_embeddings(input=batch, model=self.embedding_model)
            _add_usage(usage, response.get("usage") if isinstance(response.get("usage"), dict) else {})
            for index, vector in _vectors(response, len(batch)):
                vectors[batch[index]] = vector
        return vectors


def _first_answer(completion: dict[str, Any]) -> str:
    """The first choice's text ("" when the answer has none)."""
    choices = completion.get("choices")
    first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    message = first.get("message") if isinstance(first.get("message"), dict) else {}
    content = message.get("content")
    return content if isinstance(content, str) else ""


def _vectors(response: dict[str, Any], count: int) -> list[tuple[int, list[float]]]:
    """``(input index, vector)`` pairs of an embeddings answer, checked: one per input, each
    a list of numbers, all of one length."""
    data = response.get("data")
    items = data if isinstance(data, list) else []
    pairs = [(item.get("index"), item.get("embedding")) for item in items if isinstance(item, dict)]
    sizes = {len(vector) for _, vector in pairs if _is_vector(vector)}
    if (
        len(pairs) != count
        or len(sizes) > 1
        or any(
            not isinstance(index, int) or not 0 <= index < count or not _is_vector(vector) for index, vector in pairs
        )
    ):
        raise InvalidResponseError(f"expected {count} embeddings of one size with their index, got {str(data)[:200]}")
    return pairs


def _is_vector(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)


def _add_usage(total: dict[str, int], usage: dict[str, Any]) -> None:
    """Sum the token counts (the nested ``*_details`` breakdowns are left out)."""
    for key, value in usage.items():
        if isinstance(value, int):
            total[key] = total.get(key, 0) + value

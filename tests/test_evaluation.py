"""Eval-set parsing, the metrics, aggregation, the verdict and the table — no Airflow, no server."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv import evaluation as ev
from airflow_provider_openai_adv.exceptions import OpenAIValidationError


def lines(*records: object) -> str:
    return "".join((record if isinstance(record, str) else json.dumps(record)) + "\n" for record in records)


# -- parsing ------------------------------------------------------------------------------


def test_both_example_shapes_are_read_and_blank_lines_skipped():
    text = lines(
        {
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2 + 2?"}],
            "expected": "4",
        },
        "",
        {"prompt": "A colour?", "expected": "red", "pattern": "red|blue", "id": "colour"},
        {"prompt": "Some JSON", "pattern": r"^\{", "id": 7},
    )
    first, second, third = ev.parse_eval_set(text)
    assert (first.id, first.prompt, first.expected, first.pattern) == ("1", "2 + 2?", "4", None)
    assert second.messages == [{"role": "user", "content": "A colour?"}]
    assert (second.id, second.pattern) == ("colour", "red|blue")
    assert (third.id, third.expected) == ("7", None)


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        ("{not json", "line 2: not valid JSON"),
        ("[1, 2]", "line 2: expected a JSON object"),
        ("[" * 5000 + "]" * 5000, "line 2: JSON nested too deeply"),
        ('{"prompt": "a", "expected": "x", "id": ' + "[" * 200 + "]" * 200 + "}", "line 2: JSON nested more than 128"),
        ({"expected": "x"}, 'line 2: expected either "messages" or "prompt"'),
        ({"prompt": "a", "messages": [{"role": "user", "content": "a"}], "expected": "x"}, "line 2: expected either"),
        ({"prompt": "   ", "expected": "x"}, "line 2: prompt: must not be empty"),
        ({"messages": [{"role": "robot", "content": "a"}], "expected": "x"}, r"line 2: messages\[0\].role"),
        ({"prompt": "a"}, 'line 2: expected "expected"'),
        ({"prompt": "a", "expected": 4}, "line 2: expected: expected text"),
        ({"prompt": "a", "pattern": "(unclosed"}, "line 2: pattern: not a valid regular expression"),
        ({"prompt": "a", "expected": "x", "id": ["list"]}, "line 2: id: expected text or a number"),
        ({"prompt": "a", "expected": "x", "id": "first"}, "line 2: id 'first' is used twice"),
    ],
)
def test_a_bad_line_is_named_with_its_number(bad_line, problem):
    text = lines({"prompt": "q", "expected": "a", "id": "first"}, bad_line)
    with pytest.raises(OpenAIValidationError, match=f"^eval_file: {problem}"):
        ev.parse_eval_set(text)


def test_an_empty_eval_set_is_refused():
    with pytest.raises(OpenAIValidationError, match="^eval_file: holds no examples"):
        ev.parse_eval_set("\n  \n")


def test_metrics_and_the_gate_metric_are_checked():
    assert ev.check_metrics(["contains", "contains", "regex"], "regex") == ["contains", "regex"]
    with pytest.raises(OpenAIValidationError, match="^metrics: 'bleu' is not supported"):
        ev.check_metrics(["bleu"], "bleu")
    with pytest.raises(OpenAIValidationError, match="^metrics: expected a non-empty list"):
        ev.check_metrics("exact_match", "exact_match")
    with pytest.raises(OpenAIValidationError, match="^gate_metric: 'cosine' is not among metrics"):
        ev.check_metrics(["exact_match"], "cosine")


# -- metrics ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected", "score"),
    [("Paris", "Paris", 1), ("  paris\n", "PARIS ", 1), ("Paris.", "Paris", 0), ("The capital is Paris", "Paris", 0)],
)
def test_exact_match_ignores_surrounding_space_and_case(answer, expected, score):
    assert ev.exact_match(answer, expected) == score


@pytest.mark.parametrize(
    ("answer", "expected", "score"),
    [("The capital is PARIS.", "paris", 1), ("Paris", "Paris, France", 0), ("Lyon", "Paris", 0)],
)
def test_contains_looks_for_the_expected_text_in_the_answer(answer, expected, score):
    assert ev.contains(answer, expected) == score


def test_regex_searches_anywhere_in_the_answer():
    assert ev.regex("Order #1234 shipped", r"#\d{4}\b") == 1
    assert ev.regex("Order #12 shipped", r"#\d{4}\b") == 0


@pytest.mark.parametrize(
    ("answer", "score"),
    [
        ('{"a": [1, 2]}', 1),
        ("  [true]  ", 1),
        ("42", 1),
        ("{'a': 1}", 0),
        ('```json\n{"a": 1}\n```', 0),
        ("", 0),
        ("[" * 5000 + "]" * 5000, 0),  # an answer nested beyond reason scores 0 instead of crashing the task
    ],
    ids=["object", "array", "number", "python-dict", "fenced", "empty", "too-deep"],
)
def test_json_valid(answer, score):
    assert ev.json_valid(answer) == score


def test_cosine_of_known_vectors():
    assert ev.cosine([1, 0], [1, 0]) == pytest.approx(1)
    assert ev.cosine([1, 0], [0, 2]) == pytest.approx(0)
    assert ev.cosine([1, 1], [1, 0]) == pytest.approx(2**-0.5)
    assert ev.cosine([1, 0], [-1, 0]) == 0  # opposite is as bad as unrelated: scores stay in [0, 1]
    assert ev.cosine([0, 0], [1, 0]) == 0


def test_the_regex_metric_uses_the_pattern_else_the_expected_text_else_is_skipped():
    with_pattern = ev.Example("a", [], expected="4", pattern=r"\bfour\b|\b4\b")
    expected_only = ev.Example("b", [], expected="colou?r")
    not_a_regex = ev.Example("c", [], expected="f(x")
    metrics = ["exact_match", "regex", "json_valid"]
    assert ev.text_scores(with_pattern, "It is four", metrics) == {"exact_match": 0, "regex": 1, "json_valid": 0}
    assert ev.text_scores(expected_only, "color", metrics) == {"exact_match": 0, "regex": 1, "json_valid": 0}
    assert ev.text_scores(not_a_regex, "f(x", metrics) == {"exact_match": 1, "json_valid": 0}


def test_metrics_needing_expected_text_are_skipped_without_it():
    example = ev.Example("a", [], pattern="ok")
    assert example.applicable(ev.METRICS) == ["regex", "json_valid"]


# -- aggregation, winner, verdict, report, table --------------------------------------------

EXAMPLES = [ev.Example(str(i), [{"role": "user", "content": f"q{i}"}], expected=f"a{i}") for i in range(4)]


def scored(*rows: dict[str, float] | str) -> list[ev.Result]:
    """One result per row; a string row is a failed request with that error."""
    return [
        ev.Result(None, {"exact_match": 0.0, "contains": 0.0}, row)
        if isinstance(row, str)
        else ev.Result("answer", row)
        for row in rows
    ]


def evaluation(**results: list[ev.Result]) -> ev.Evaluation:
    return ev.Evaluation(list(results), ["exact_match", "contains", "regex"], "exact_match", EXAMPLES, results)


def known_set() -> ev.Evaluation:
    return evaluation(
        candidate=scored(
            {"exact_match": 1, "contains": 1},
            {"exact_match": 1, "contains": 1, "regex": 1},
            {"exact_match": 0, "contains": 1},
            "Server error",
        ),
        base=scored(
            {"exact_match": 0, "contains": 1},
            {"exact_match": 1, "contains": 1, "regex": 0},
            {"exact_match": 0, "contains": 0},
            {"exact_match": 0, "contains": 0},
        ),
    )


def test_means_count_and_errors_per_model():
    result = known_set()
    candidate, base = result.summary("candidate"), result.summary("base")
    assert (candidate.count, candidate.errors) == (4, 1)
    assert candidate.means == {"exact_match": 0.5, "contains": 0.75, "regex": 1.0}  # regex: one example only
    assert (base.count, base.errors) == (4, 0)
    assert base.means == {"exact_match": 0.25, "contains": 0.5, "regex": 0.0}


def test_the_winner_is_best_on_the_gate_metric_and_a_tie_goes_to_the_first_listed():
    assert known_set().winner() == "candidate"
    same = scored(*[{"exact_match": 1}] * 4)
    assert evaluation(first=same, second=same).winner() == "first"
    assert evaluation(low=scored(*[{"exact_match": 0}] * 4), high=same).winner() == "high"


def test_the_verdict_needs_min_score_and_no_better_model():
    assert known_set().verdict(None) == (True, "candidate scored 0.500 on exact_match")
    assert known_set().verdict(0.5)[0] is True
    assert known_set().verdict(0.6) == (False, "candidate scored 0.500 on exact_match, below min_score 0.6")
    reversed_models = evaluation(base=known_set().results["base"], candidate=known_set().results["candidate"])
    assert reversed_models.verdict(0.1) == (False, "candidate scored 0.500 on exact_match, more than base's 0.250")


def test_a_candidate_without_a_gate_score_does_not_pass():
    result = evaluation(only=[ev.Result("x", {"contains": 1.0})] * 4)
    assert result.winner() is None
    assert result.verdict(None) == (False, "only has no exact_match score: no example could be scored on it")


def test_the_report_holds_every_answer_and_is_json():
    report = json.loads(json.dumps(known_set().report()))
    assert report["winner"] == "candidate" and report["gate_metric"] == "exact_match"
    candidate = report["models"]["candidate"]
    assert (candidate["count"], candidate["errors"], candidate["scores"]["contains"]) == (4, 1, 0.75)
    assert candidate["examples"][0] == {
        "id": "0",
        "prompt": "q0",
        "expected": "a0",
        "answer": "answer",
        "scores": {"exact_match": 1, "contains": 1},
    }
    assert candidate["examples"][3]["error"] == "Server error" and candidate["examples"][3]["answer"] is None
    assert known_set().summaries()["base"] == {
        "count": 4,
        "errors": 0,
        "scores": {"exact_match": 0.25, "contains": 0.5, "regex": 0.0},
    }


def test_the_table_is_fixed_width_and_marks_the_winner():
    result = known_set()
    result.results["candidate"][0].scores.pop("regex", None)
    result.results["candidate"][1].scores.pop("regex")
    assert result.table().splitlines() == [
        "  model      n  errors  exact_match  contains  regex",
        "* candidate  4       1        0.500     0.750      -",
        "  base       4       0        0.250     0.500  0.000",
    ]

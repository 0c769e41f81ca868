"""The evaluation operator, executed as a worker would (branching in a real DAG run), against the emulator."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIAdvError
from airflow_provider_openai_adv.operators import OpenAIEvaluateModelOperator
from tests.dag_runs import refused
from tests.tasks import run_task

TRAINING = [(f"Which warehouse ships order {i}?", f"Warehouse W-{i:02d}") for i in range(12)]
CHAT_PATH = "/v1/chat/completions"


def write_eval_set(path, pairs) -> str:
    path.write_text(
        "".join(json.dumps({"prompt": q, "expected": a, "id": f"q{i}"}) + "\n" for i, (q, a) in enumerate(pairs))
    )
    return str(path)


@pytest.fixture
def eval_file(tmp_path) -> str:
    return write_eval_set(tmp_path / "eval.jsonl", TRAINING[:8])


@pytest.fixture
def fine_tuned_model(openai_emulator, tmp_path) -> str:
    """A gpt-4o-mini fine-tuned on ``TRAINING``: it answers those prompts with the trained replies."""
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

    path = tmp_path / "train.jsonl"
    conversations = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]} for q, a in TRAINING
    ]
    path.write_text("".join(json.dumps(conversation) + "\n" for conversation in conversations))
    hook = OpenAIAdvHook()
    job = hook.create_fine_tune(training_file=hook.upload_file(path, purpose="fine-tune")["id"], model="gpt-4o-mini")
    openai_emulator.advance_clock(60)
    model = hook.retrieve_fine_tune(job["id"])["fine_tuned_model"]
    openai_emulator.app.journal.clear()
    return model


def test_a_fine_tuned_model_beats_its_base_model(openai_emulator, eval_file, fine_tuned_model, tmp_path):
    run = run_task(
        OpenAIEvaluateModelOperator(
            task_id="evaluate",
            eval_file=eval_file,
            models=[fine_tuned_model, "gpt-4o-mini"],
            output_path=str(tmp_path / "{{ ds }}"),
        )
    )
    summary = run.value
    assert summary["winner"] == fine_tuned_model and summary["candidate"] == fine_tuned_model
    assert summary["passed"] is True and summary["examples"] == 8
    assert summary["models"][fine_tuned_model] == {
        "count": 8,
        "errors": 0,
        "scores": {"exact_match": 1.0, "contains": 1.0, "json_valid": 0.0, "cosine": pytest.approx(1.0)},
    }
    base = summary["models"]["gpt-4o-mini"]["scores"]
    assert base["exact_match"] == 0 and base["contains"] == 0 and base["cosine"] < 0.99

    chats = [r.json() for r in openai_emulator.requests if r.path == CHAT_PATH]
    embeddings = [r.json() for r in openai_emulator.requests if r.path == "/v1/embeddings"]
    assert len(chats) == 16 and {chat["temperature"] for chat in chats} == {0}
    assert len(embeddings) == 3  # the expected texts once, then each model's answers in one batch
    usage = run.xcoms["usage"]
    assert usage["total_tokens"] == sum(r.response_json()["usage"]["total_tokens"] for r in openai_emulator.requests)

    assert summary["report_path"] == str(tmp_path / "2024-01-01" / "evaluate.json")
    report = json.loads((tmp_path / "2024-01-01" / "evaluate.json").read_text())
    assert report["eval_file"] == eval_file and report["winner"] == fine_tuned_model
    first = report["models"]["gpt-4o-mini"]["examples"][0]
    assert first["id"] == "q0" and first["prompt"] == TRAINING[0][0] and first["expected"] == TRAINING[0][1]
    assert first["answer"] == f"Emulated reply from gpt-4o-mini: {TRAINING[0][0]}"
    assert first["scores"]["exact_match"] == 0
    assert report["models"][fine_tuned_model]["examples"][0]["answer"] == TRAINING[0][1]


def test_the_gate_fails_the_task_for_good_when_the_candidate_is_below_min_score(openai_emulator, eval_file):
    from airflow.sdk.exceptions import AirflowFailException

    task = OpenAIEvaluateModelOperator(
        task_id="evaluate",
        eval_file=eval_file,
        models=["gpt-4o-mini"],
        metrics=["contains"],
        gate_metric="contains",
        min_score=0.9,
    )
    with pytest.raises(  # not retried: the same answers would get the same scores
        AirflowFailException,
        match=r"^Quality gate failed: gpt-4o-mini scored 0\.000 on contains, below min_score 0\.9$",
    ):
        run_task(task)


@pytest.mark.parametrize(
    ("candidate_first", "followed", "skipped"), [(True, "deploy", "reject"), (False, "reject", "deploy")]
)
def test_the_branch_follows_the_verdict_and_skips_the_other_task(
    make_dag, run_dag, eval_file, fine_tuned_model, candidate_first, followed, skipped
):
    from airflow.providers.standard.operators.empty import EmptyOperator

    models = [fine_tuned_model, "gpt-4o-mini"] if candidate_first else ["gpt-4o-mini", fine_tuned_model]
    with make_dag() as dag:
        evaluate = OpenAIEvaluateModelOperator(
            task_id="evaluate",
            eval_file=eval_file,
            models=models,
            metrics=["exact_match"],
            min_score=0.5 if candidate_first else None,  # the base loses on the comparison alone
            pass_task_ids="deploy",
            fail_task_ids=["reject"],
        )
        evaluate >> [EmptyOperator(task_id="deploy"), EmptyOperator(task_id="reject")]
    outcome = run_dag(dag)
    assert outcome.task_states[("evaluate", -1)] == "success"
    assert outcome.task_states[(followed, -1)] == "success"
    assert outcome.task_states[(skipped, -1)] == "skipped"
    summary = outcome.value("evaluate")  # pushed even though branching ends the task early
    assert summary["passed"] is candidate_first and summary["winner"] == fine_tuned_model


def connections_used(emulator, eval_file, max_concurrency: int) -> int:
    """Run 16 chat completions (8 examples x 2 models); count the connections they came on."""
    emulator.app.journal.clear()
    run_task(
        OpenAIEvaluateModelOperator(
            task_id="evaluate",
            eval_file=eval_file,
            models=["gpt-4o-mini", "gpt-4o"],
            metrics=["contains"],
            gate_metric="contains",
            max_concurrency=max_concurrency,
        )
    )
    chats = [r for r in emulator.requests if r.path == CHAT_PATH]
    assert len(chats) == 16
    return len({r.peer for r in chats})


def test_examples_run_concurrently_never_more_than_max_concurrency_at_once(openai_emulator, eval_file):
    """A client sending one request at a time keeps one keep-alive connection; requests in
    flight together each need their own (the answers are slowed so that they overlap)."""
    assert connections_used(openai_emulator, eval_file, max_concurrency=1) == 1
    openai_emulator.add_fault(path=CHAT_PATH, latency=0.1)
    assert 1 < connections_used(openai_emulator, eval_file, max_concurrency=4) <= 4


def test_a_failed_request_counts_against_its_model(openai_emulator, eval_file):
    openai_emulator.add_fault(path=CHAT_PATH, status=400, times=1)
    run = run_task(
        OpenAIEvaluateModelOperator(
            task_id="evaluate",
            eval_file=eval_file,
            models=["gpt-4o-mini"],
            metrics=["contains", "json_valid"],
            gate_metric="contains",
        )
    )
    assert run.value["models"]["gpt-4o-mini"]["errors"] == 1
    assert run.xcoms["usage"]["total_tokens"] > 0


def test_a_model_that_answers_nothing_fails_the_task(openai_emulator, eval_file):
    task = OpenAIEvaluateModelOperator(task_id="evaluate", eval_file=eval_file, models=["gpt-4o-mini", "no-such-model"])
    with pytest.raises(OpenAIAdvError, match="^every request to no-such-model failed; the first: .*does not exist"):
        run_task(task)


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"eval_file": "/no/such/eval.jsonl"}, "eval_file"),
        ({"eval_file": ""}, "eval_file"),
        ({"models": []}, "models"),
        ({"models": "gpt-4o-mini"}, "models"),
        ({"models": ["gpt-4o-mini", ""]}, "models[1]"),
        ({"models": ["gpt-4o-mini", "gpt-4o-mini"]}, "models"),
        ({"metrics": ["exact_match", "bleu"]}, "metrics"),
        ({"metrics": ["contains"]}, "gate_metric"),
        ({"min_score": 1.5}, "min_score"),
        ({"min_score": -0.1}, "min_score"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"temperature": 3}, "temperature"),
        ({"pass_task_ids": 7}, "pass_task_ids"),
    ],
)
def test_bad_input_fails_naming_the_argument_before_any_request(openai_emulator, eval_file, arguments, named):
    settings = {"eval_file": eval_file, "models": ["gpt-4o-mini"], **arguments}
    with refused(named):
        run_task(OpenAIEvaluateModelOperator(task_id="bad", **settings))
    assert openai_emulator.requests == []


def test_a_bad_eval_set_line_is_named(openai_emulator, tmp_path):
    path = tmp_path / "eval.jsonl"
    path.write_text('{"prompt": "q", "expected": "a"}\n{"prompt": "q2"}\n')
    with refused(match='^eval_file: line 2: expected "expected"'):
        run_task(OpenAIEvaluateModelOperator(task_id="bad", eval_file=str(path), models=["gpt-4o-mini"]))
    assert openai_emulator.requests == []


def test_a_deeply_nested_eval_line_is_named_not_raised(openai_emulator, tmp_path):
    path = tmp_path / "eval.jsonl"
    path.write_text('{"prompt": "q", "expected": "a"}\n' + "[" * 5000 + "]" * 5000 + "\n")
    with refused(match="^eval_file: line 2: JSON nested too deeply"):
        run_task(OpenAIEvaluateModelOperator(task_id="bad", eval_file=str(path), models=["gpt-4o-mini"]))
    assert openai_emulator.requests == []


def test_an_unknown_branch_task_is_refused_before_any_request(make_dag, openai_emulator, eval_file):
    with make_dag():
        task = OpenAIEvaluateModelOperator(
            task_id="evaluate", eval_file=eval_file, models=["gpt-4o-mini"], pass_task_ids="deploy"
        )
    with refused(match="^pass_task_ids: no task or task group 'deploy' in this DAG"):
        run_task(task)
    assert openai_emulator.requests == []

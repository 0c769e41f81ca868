"""Fine-tuning in the emulator, over HTTP: jobs on the emulator clock, current and legacy API."""

from __future__ import annotations

import csv
import io
import json

import pytest

from airflow_provider_openai_adv.testing.fine_tuning import FineTuneTimings, learned_reply, set_timings

# Long phases, so that the wall clock moving during a test never crosses a boundary.
VALIDATING, QUEUED, RUNNING = 100, 100, 300


@pytest.fixture
def slow(openai_emulator):
    """Phases of 100 s validating, 100 s queued and 300 s running, on the emulator clock."""
    set_timings(openai_emulator.state, validating=VALIDATING, queued=QUEUED, running=RUNNING)
    return openai_emulator


def chat_examples(count=10, prefix="Question"):
    return [
        {
            "messages": [
                {"role": "system", "content": "Be terse."},
                {"role": "user", "content": f"{prefix} {i}?"},
                {"role": "assistant", "content": f"Answer {i}."},
            ]
        }
        for i in range(count)
    ]


def completion_examples(count=10):
    return [{"prompt": f"Capital of country {i} ->", "completion": f" City {i}"} for i in range(count)]


def upload(http, lines, purpose="fine-tune"):
    """Upload JSONL (objects are serialised, strings sent as they are); the file id."""
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    response = http.post("/files", files={"file": ("data.jsonl", text.encode())}, data={"purpose": purpose})
    assert response.status_code == 200, response.text
    return response.json()["id"]


@pytest.fixture
def training_file(http):
    return upload(http, chat_examples())


def create(http, **body):
    response = http.post("/fine_tuning/jobs", json={"model": "gpt-4o-mini", **body})
    assert response.status_code == 200, response.text
    return response.json()


def job(http, job_id):
    return http.get(f"/fine_tuning/jobs/{job_id}").json()


def events(http, job_id):
    return http.get(f"/fine_tuning/jobs/{job_id}/events", params={"limit": 100}).json()["data"]


# -- lifecycle --------------------------------------------------------------------------


def test_a_job_goes_through_every_status_on_the_emulator_clock(http, slow, training_file):
    validation = upload(http, chat_examples(prefix="Check"))
    created = create(
        http, training_file=training_file, validation_file=validation, suffix="my-model", metadata={"team": "a"}
    )
    job_id = created["id"]
    assert job_id.startswith("ftjob-") and created["object"] == "fine_tuning.job"
    assert created["status"] == "validating_files"
    assert created["hyperparameters"] == {"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": "auto"}
    assert created["method"]["type"] == "supervised" and created["metadata"] == {"team": "a"}
    assert created["fine_tuned_model"] is None and created["estimated_finish"] is None

    slow.advance_clock(VALIDATING + QUEUED / 2)
    queued = job(http, job_id)
    assert queued["status"] == "queued"
    # "auto" is settled once the data is known: 10 examples, batches of 1, 3 epochs → 30 steps.
    assert queued["hyperparameters"] == {"batch_size": 1, "learning_rate_multiplier": 2.0, "n_epochs": 3}

    slow.advance_clock(QUEUED / 2 + RUNNING / 6)  # 50 s into training: 5 of 30 steps, one every 10 s
    running = job(http, job_id)
    assert running["status"] == "running"
    assert abs(running["estimated_finish"] - (created["created_at"] + VALIDATING + QUEUED + RUNNING)) <= 1
    assert running["trained_tokens"] is None and running["finished_at"] is None
    metrics = [event for event in events(http, job_id) if event["type"] == "metrics"]
    assert [event["data"]["step"] for event in metrics] == [5, 4, 3, 2, 1]  # newest first

    slow.advance_clock(RUNNING)
    done = job(http, job_id)
    assert done["status"] == "succeeded"
    assert done["fine_tuned_model"] == f"ft:gpt-4o-mini:emulator:my-model:{job_id[-8:]}"
    assert done["finished_at"] >= done["created_at"] + VALIDATING + QUEUED + RUNNING - 1
    assert done["estimated_finish"] is None and done["error"] is None
    assert done["trained_tokens"] > 0 and done["trained_tokens"] % 3 == 0  # tokens per epoch × 3 epochs

    every = events(http, job_id)
    assert [event["created_at"] for event in every] == sorted((event["created_at"] for event in every), reverse=True)
    steps = [event for event in every if event["type"] == "metrics"]
    assert len(steps) == 30 and steps[0]["data"]["step"] == 30 and steps[0]["data"]["total_steps"] == 30
    assert {"train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy"} <= set(
        steps[0]["data"]
    )
    assert steps[0]["data"]["train_loss"] < steps[-1]["data"]["train_loss"]  # it learns
    messages = [event["message"] for event in reversed(every) if event["type"] == "message"]
    assert messages[0].startswith("Created fine-tuning job") and messages[-1] == "The job succeeded."
    assert all(event["object"] == "fine_tuning.job.event" and event["level"] == "info" for event in every)


def test_a_succeeded_job_leaves_a_results_file_checkpoints_and_a_deletable_model(http, slow, training_file):
    job_id = create(http, training_file=training_file)["id"]
    slow.advance_clock(VALIDATING + QUEUED + RUNNING)
    done = job(http, job_id)
    model = done["fine_tuned_model"]
    assert model == f"ft:gpt-4o-mini:emulator::{job_id[-8:]}"  # no suffix: an empty part, as OpenAI names it

    [result_id] = done["result_files"]
    result = http.get(f"/files/{result_id}").json()
    assert result["purpose"] == "fine-tune-results" and result["filename"] == "step_metrics.csv"
    rows = list(csv.DictReader(io.StringIO(http.get(f"/files/{result_id}/content").text)))
    assert len(rows) == 30 and rows[0]["step"] == "1" and float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    assert list(rows[0]) == ["step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy"]
    assert rows[0]["valid_loss"] == ""  # no validation file

    checkpoints = http.get(f"/fine_tuning/jobs/{job_id}/checkpoints").json()
    assert [c["step_number"] for c in checkpoints["data"]] == [30, 20, 10]  # the last three epochs, newest first
    assert checkpoints["data"][0]["fine_tuned_model_checkpoint"] == f"{model}:ckpt-step-30"
    assert checkpoints["data"][0]["id"].startswith("ftckpt_") and checkpoints["data"][0]["fine_tuning_job_id"] == job_id
    assert http.get(f"/fine_tuning/jobs/{job_id}/checkpoints", params={"limit": 1}).json()["has_more"] is True

    listed = http.get(f"/models/{model}").json()
    assert listed["owned_by"] == "org-emulator" and model in {m["id"] for m in http.get("/models").json()["data"]}
    assert http.delete(f"/models/{model}").json() == {"id": model, "object": "model", "deleted": True}
    assert http.get(f"/models/{model}").status_code == 404


def test_checkpoints_are_listed_only_for_succeeded_jobs(http, slow, training_file):
    job_id = create(http, training_file=training_file)["id"]
    slow.advance_clock(VALIDATING + QUEUED + RUNNING / 2)  # the first epoch's checkpoint is saved, not shown
    assert http.get(f"/fine_tuning/jobs/{job_id}/checkpoints").json()["data"] == []


def test_default_timings_are_a_few_seconds(http, openai_emulator, training_file):
    assert FineTuneTimings() == FineTuneTimings(validating=1.0, queued=1.0, running=3.0)
    job_id = create(http, training_file=training_file)["id"]
    openai_emulator.advance_clock(5.5)
    assert job(http, job_id)["status"] == "succeeded"


def test_timings_return_to_the_defaults_on_reset(openai_emulator):
    assert set_timings(openai_emulator.state, running=60).running == 60
    openai_emulator.reset()
    assert set_timings(openai_emulator.state) == FineTuneTimings()


# -- training data ----------------------------------------------------------------------


BAD_LINE = 4
CHAT_PROBLEMS = {
    "not JSON": "{not json",
    "not an object": "[1, 2]",
    "no messages": {"prompt": "hi", "completion": "there"},
    "an unknown role": {"messages": [{"role": "robot", "content": "beep"}]},
    "no assistant message": {"messages": [{"role": "user", "content": "hi"}]},
    "a message without content": {"messages": [{"role": "user"}, {"role": "assistant", "content": "x"}]},
}


@pytest.mark.parametrize("problem", CHAT_PROBLEMS.values(), ids=CHAT_PROBLEMS.keys())
def test_an_invalid_line_fails_the_job_naming_the_line(http, slow, problem):
    lines = chat_examples(12)
    lines[BAD_LINE - 1] = problem
    job_id = create(http, training_file=upload(http, lines))["id"]
    slow.advance_clock(VALIDATING)
    failed = job(http, job_id)
    assert failed["status"] == "failed" and failed["fine_tuned_model"] is None and failed["finished_at"]
    assert failed["error"]["code"] == "invalid_training_file" and failed["error"]["param"] == "training_file"
    assert f"line {BAD_LINE}:" in failed["error"]["message"]
    assert events(http, job_id)[0]["level"] == "error"
    slow.advance_clock(QUEUED + RUNNING)
    assert job(http, job_id)["status"] == "failed"


def test_completion_models_need_prompt_and_completion_lines(http, slow):
    good = create(http, model="davinci-002", training_file=upload(http, completion_examples()))["id"]
    lines = completion_examples()
    lines[6] = {"prompt": "only a prompt"}
    bad = create(http, model="babbage-002", training_file=upload(http, lines))["id"]
    chat = create(http, model="davinci-002", training_file=upload(http, chat_examples()))["id"]
    slow.advance_clock(VALIDATING + QUEUED + RUNNING)
    assert job(http, good)["status"] == "succeeded"
    assert job(http, good)["fine_tuned_model"].startswith("ft:davinci-002:emulator::")
    assert "line 7:" in job(http, bad)["error"]["message"]
    assert "line 1:" in job(http, chat)["error"]["message"]


@pytest.mark.parametrize(
    "problem",
    [
        {"input": "Greet me", "preferred_output": [], "non_preferred_output": []},
        {
            "input": {"messages": [{"role": "user", "content": "Hi"}]},
            "preferred_output": [{"role": "assistant", "content": "Hello"}],
        },
        {
            "input": {"messages": [{"role": "user", "content": "Hi"}]},
            "preferred_output": [{"role": "user", "content": "Hello"}],
            "non_preferred_output": [{"role": "assistant", "content": "Go"}],
        },
    ],
    ids=["input not an object", "no non-preferred output", "no preferred assistant message"],
)
def test_an_invalid_preference_line_fails_a_dpo_job(http, slow, problem):
    lines = [
        {
            "input": {"messages": [{"role": "user", "content": f"Hi {i}"}]},
            "preferred_output": [{"role": "assistant", "content": "Hello"}],
            "non_preferred_output": [{"role": "assistant", "content": "Go"}],
        }
        for i in range(10)
    ]
    lines[2] = problem
    job_id = create(http, training_file=upload(http, lines), method={"type": "dpo"})["id"]
    slow.advance_clock(VALIDATING)
    assert "line 3:" in job(http, job_id)["error"]["message"]


def test_a_file_that_is_not_utf8_fails_the_job(http, slow):
    response = http.post("/files", files={"file": ("data.jsonl", b"\xff\xfe\x00bad")}, data={"purpose": "fine-tune"})
    job_id = create(http, training_file=response.json()["id"])["id"]
    slow.advance_clock(VALIDATING)
    assert "UTF-8" in job(http, job_id)["error"]["message"]


def test_fewer_than_ten_examples_fail_the_job(http, slow):
    job_id = create(http, training_file=upload(http, chat_examples(9)))["id"]
    slow.advance_clock(VALIDATING)
    error = job(http, job_id)["error"]
    assert error["code"] == "invalid_training_file" and "9 examples" in error["message"] and "10" in error["message"]


def test_an_invalid_validation_file_fails_the_job_on_that_file(http, slow, training_file):
    validation = upload(http, chat_examples(10)[:3])
    job_id = create(http, training_file=training_file, validation_file=validation)["id"]
    slow.advance_clock(VALIDATING)
    assert job(http, job_id)["error"]["param"] == "validation_file"
    assert job(http, job_id)["error"]["code"] == "invalid_validation_file"


def test_a_training_file_deleted_before_validation_fails_the_job(http, slow, training_file):
    job_id = create(http, training_file=training_file)["id"]
    http.delete(f"/files/{training_file}")
    slow.advance_clock(VALIDATING)
    assert "deleted" in job(http, job_id)["error"]["message"]


def test_dpo_and_reinforcement_jobs_take_their_own_data_shapes(http, slow):
    preference = [
        {
            "input": {"messages": [{"role": "user", "content": f"Greet {i}"}]},
            "preferred_output": [{"role": "assistant", "content": f"Hello {i}!"}],
            "non_preferred_output": [{"role": "assistant", "content": "Go away."}],
        }
        for i in range(10)
    ]
    dpo = create(
        http,
        training_file=upload(http, preference),
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}},
    )
    assert dpo["method"]["dpo"]["hyperparameters"] == {
        "batch_size": "auto",
        "learning_rate_multiplier": "auto",
        "n_epochs": "auto",
        "beta": 0.2,
    }
    grader = {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}", "reference": "{{item.x}}"}
    tasks = [{"messages": [{"role": "user", "content": f"Say {i}"}], "x": str(i)} for i in range(10)]
    reinforcement = create(
        http,
        model="gpt-4.1-mini",
        training_file=upload(http, tasks),
        method={"type": "reinforcement", "reinforcement": {"grader": {**grader, "operation": "eq"}}},
    )
    assert reinforcement["method"]["reinforcement"]["hyperparameters"]["reasoning_effort"] == "default"
    slow.advance_clock(VALIDATING + QUEUED + RUNNING)
    dpo_model = job(http, dpo["id"])["fine_tuned_model"]
    assert learned_reply(slow.state, dpo_model, "Greet 3") == "Hello 3!"
    assert job(http, reinforcement["id"])["status"] == "succeeded"


# -- learned replies --------------------------------------------------------------------


def test_a_fine_tuned_model_has_learned_its_training_replies(http, slow, training_file):
    first = create(http, training_file=training_file)["id"]
    slow.advance_clock(VALIDATING + QUEUED + RUNNING)
    model = f"ft:gpt-4o-mini:emulator::{first[-8:]}"
    assert learned_reply(slow.state, model, "Question 3?") == "Answer 3."  # before anyone reads the job
    assert job(http, first)["fine_tuned_model"] == model
    assert learned_reply(slow.state, model, "Question 3?") == "Answer 3."
    assert learned_reply(slow.state, model, "  Question \n 3? ") == "Answer 3."  # spacing does not matter
    assert learned_reply(slow.state, model, "Something else?") is None
    assert learned_reply(slow.state, "gpt-4o-mini", "Question 3?") is None
    assert learned_reply(slow.state, "ft:gpt-4o-mini:emulator::nothere1", "Question 3?") is None

    # Fine-tuning the fine-tuned model again: it keeps what it knew and learns the new data.
    second = create(http, model=model, training_file=upload(http, chat_examples(prefix="Query")))["id"]
    slow.advance_clock(VALIDATING + QUEUED + RUNNING)
    again = job(http, second)["fine_tuned_model"]
    assert again == f"ft:gpt-4o-mini:emulator::{second[-8:]}"
    assert learned_reply(slow.state, again, "Query 1?") == "Answer 1."
    assert learned_reply(slow.state, again, "Question 2?") == "Answer 2."

    http.delete(f"/models/{model}")
    assert learned_reply(slow.state, model, "Question 3?") is None


def test_legacy_completion_pairs_are_learned(http, slow):
    created = http.post("/fine-tunes", json={"training_file": upload(http, completion_examples())}).json()
    slow.advance_clock(VALIDATING + QUEUED + RUNNING)
    model = http.get(f"/fine-tunes/{created['id']}").json()["fine_tuned_model"]
    assert learned_reply(slow.state, model, "Capital of country 2 ->") == " City 2"


# -- cancel -----------------------------------------------------------------------------


def test_a_job_in_progress_can_be_cancelled_once(http, slow, training_file):
    job_id = create(http, training_file=training_file)["id"]
    slow.advance_clock(VALIDATING + QUEUED + 10)
    cancelled = http.post(f"/fine_tuning/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert events(http, job_id)[0]["message"] == "The job was cancelled."
    slow.advance_clock(RUNNING)
    assert job(http, job_id)["status"] == "cancelled" and job(http, job_id)["fine_tuned_model"] is None
    again = http.post(f"/fine_tuning/jobs/{job_id}/cancel")
    assert again.status_code == 400 and "cancelled" in again.json()["error"]["message"]


def test_a_finished_job_cannot_be_cancelled(http, slow, training_file):
    job_id = create(http, training_file=training_file)["id"]
    slow.advance_clock(VALIDATING + QUEUED + RUNNING)
    response = http.post(f"/fine_tuning/jobs/{job_id}/cancel")
    assert response.status_code == 400
    assert (
        response.json()["error"]["type"] == "invalid_request_error"
        and "succeeded" in response.json()["error"]["message"]
    )


# -- listing ----------------------------------------------------------------------------


def test_jobs_are_listed_newest_first_a_page_at_a_time(http, slow, training_file):
    ids = [create(http, training_file=training_file, metadata={"team": team})["id"] for team in "abc"]
    bare = create(http, training_file=training_file)["id"]
    first = http.get("/fine_tuning/jobs", params={"limit": 2}).json()
    assert [j["id"] for j in first["data"]] == [bare, ids[2]] and first["has_more"] is True
    rest = http.get("/fine_tuning/jobs", params={"limit": 2, "after": first["data"][-1]["id"]}).json()
    assert [j["id"] for j in rest["data"]] == [ids[1], ids[0]] and rest["has_more"] is False
    by_team = http.get("/fine_tuning/jobs", params={"metadata[team]": "b"}).json()["data"]
    assert [j["id"] for j in by_team] == [ids[1]]
    assert [j["id"] for j in http.get("/fine_tuning/jobs", params={"metadata": "null"}).json()["data"]] == [bare]
    assert http.get("/fine_tuning/jobs", params={"metadata[team]": "z"}).json()["data"] == []


def test_events_are_paginated_newest_first(http, slow, training_file):
    job_id = create(http, training_file=training_file)["id"]
    slow.advance_clock(VALIDATING + QUEUED + RUNNING)
    page = http.get(f"/fine_tuning/jobs/{job_id}/events").json()
    assert len(page["data"]) == 20 and page["has_more"] is True  # 20 by default
    older = http.get(f"/fine_tuning/jobs/{job_id}/events", params={"after": page["data"][-1]["id"], "limit": 100})
    assert [e["id"] for e in page["data"] + older.json()["data"]] == [e["id"] for e in events(http, job_id)]
    assert older.json()["has_more"] is False


def all_event_pages(http, job_id, *, until=None):
    """Every page of events, newest first, 100 at a time; stop at the event ``until`` if given."""
    pages, after = [], None
    while True:
        params = {"limit": 100} | ({"after": after} if after else {})
        page = http.get(f"/fine_tuning/jobs/{job_id}/events", params=params).json()
        ids = [event["id"] for event in page["data"]]
        if until in ids:
            page["data"] = page["data"][: ids.index(until)]
            return [*pages, page]
        pages.append(page)
        if not page["has_more"]:
            return pages
        after = ids[-1]


def test_a_long_job_emits_hundreds_of_events_between_two_polls(http, slow, training_file):
    """Ten examples, a batch of one, twenty epochs: 200 steps, each a metrics event."""
    hyperparameters = {"batch_size": 1, "n_epochs": 20}
    job_id = create(http, training_file=training_file, hyperparameters=hyperparameters)["id"]
    slow.advance_clock(VALIDATING + QUEUED + RUNNING * 0.05)
    seen = all_event_pages(http, job_id)
    assert job(http, job_id)["status"] == "running" and len(seen) == 1
    newest_seen = seen[0]["data"][0]["id"]

    slow.advance_clock(RUNNING)
    pages = all_event_pages(http, job_id, until=newest_seen)
    fresh = [event for page in pages for event in page["data"]]
    assert len(fresh) > 150 and len(pages[0]["data"]) == 100 and pages[0]["has_more"] is True
    assert fresh[0]["message"] == "The job succeeded."
    times = [event["created_at"] for event in fresh]
    assert times == sorted(times, reverse=True)

    everything = [event for page in all_event_pages(http, job_id) for event in page["data"]]
    assert len({event["id"] for event in everything}) == len(everything)
    assert sum(event["type"] == "metrics" for event in everything) == 200
    assert everything[-1]["message"].startswith("Created fine-tuning job")


def test_an_events_page_holds_at_most_100(http, training_file):
    job_id = create(http, training_file=training_file)["id"]
    response = http.get(f"/fine_tuning/jobs/{job_id}/events", params={"limit": 101})
    assert response.status_code == 400 and response.json()["error"]["param"] == "limit"
    response = http.get(f"/fine_tuning/jobs/{job_id}/events", params={"after": "ftevent-nope"})
    assert response.status_code == 404 and response.json()["error"]["param"] == "after"


# -- bad input --------------------------------------------------------------------------


@pytest.fixture
def assistants_file(http):
    return upload(http, chat_examples(), purpose="assistants")


CURRENT_BAD = [
    ({"model": None}, "model"),
    ({"training_file": None}, "training_file"),
    ({"training_file": "file-nothere"}, "training_file"),
    ({"training_file": "ASSISTANTS"}, "training_file"),
    ({"validation_file": "file-nothere"}, "validation_file"),
    ({"validation_file": "ASSISTANTS"}, "validation_file"),
    ({"model": "gpt-4"}, "model"),
    ({"model": "text-embedding-3-small"}, "model"),
    ({"model": 4}, "model"),
    ({"suffix": "x" * 65}, "suffix"),
    ({"suffix": "has:colon"}, "suffix"),
    ({"suffix": ""}, "suffix"),
    ({"seed": -1}, "seed"),
    ({"seed": "7"}, "seed"),
    ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
    ({"metadata": {"k": 1}}, "metadata"),
    ({"hyperparameters": {"n_epochs": 0}}, "hyperparameters.n_epochs"),
    ({"hyperparameters": {"n_epochs": 51}}, "hyperparameters.n_epochs"),
    ({"hyperparameters": {"n_epochs": 2.5}}, "hyperparameters.n_epochs"),
    ({"hyperparameters": {"batch_size": 257}}, "hyperparameters.batch_size"),
    ({"hyperparameters": {"learning_rate_multiplier": 0}}, "hyperparameters.learning_rate_multiplier"),
    ({"hyperparameters": {"learning_rate_multiplier": "fast"}}, "hyperparameters.learning_rate_multiplier"),
    ({"hyperparameters": {"epochs": 3}}, "hyperparameters.epochs"),
    ({"hyperparameters": [3]}, "hyperparameters"),
    ({"hyperparameters": {"n_epochs": 2}, "method": {"type": "supervised"}}, "hyperparameters"),
    ({"method": {}}, "method.type"),
    ({"method": {"type": "magic"}}, "method.type"),
    ({"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 3}}}}, "method.dpo.hyperparameters.beta"),
    (
        {"method": {"type": "supervised", "supervised": {"hyperparameters": {"beta": 1}}}},
        "method.supervised.hyperparameters.beta",
    ),
    ({"method": {"type": "reinforcement"}}, "method.reinforcement.grader"),
    (
        {"method": {"type": "reinforcement", "reinforcement": {"grader": {"type": "vibes"}}}},
        "method.reinforcement.grader",
    ),
    (
        {
            "method": {
                "type": "reinforcement",
                "reinforcement": {"grader": {"type": "python"}, "hyperparameters": {"reasoning_effort": "max"}},
            }
        },
        "method.reinforcement.hyperparameters.reasoning_effort",
    ),
    ({"model": "davinci-002", "method": {"type": "dpo"}}, "method.type"),
    ({"integrations": [{"type": "slack"}]}, "integrations[0]"),
    ({"integrations": [{"type": "wandb", "wandb": {}}]}, "integrations[0]"),
    ({"integrations": "wandb"}, "integrations"),
]


@pytest.mark.parametrize(("change", "param"), CURRENT_BAD, ids=[param for _, param in CURRENT_BAD])
def test_bad_job_requests_get_400_naming_the_parameter(http, training_file, assistants_file, change, param):
    body = {"model": "gpt-4o-mini", "training_file": training_file}
    body.update({key: assistants_file if value == "ASSISTANTS" else value for key, value in change.items()})
    response = http.post("/fine_tuning/jobs", json={key: value for key, value in body.items() if value is not None})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert response.json()["error"]["type"] == "invalid_request_error"


LEGACY_BAD = [
    ({"training_file": None}, "training_file"),
    ({"training_file": "ASSISTANTS"}, "training_file"),
    ({"model": "gpt-99"}, "model"),
    ({"n_epochs": 0}, "n_epochs"),
    ({"batch_size": "big"}, "batch_size"),
    ({"learning_rate_multiplier": 0}, "learning_rate_multiplier"),
    ({"prompt_loss_weight": -1}, "prompt_loss_weight"),
    ({"suffix": "x" * 41}, "suffix"),
    ({"compute_classification_metrics": True, "classification_n_classes": 3}, "validation_file"),
    ({"compute_classification_metrics": True, "validation_file": "TRAINING"}, "classification_n_classes"),
    ({"compute_classification_metrics": "yes"}, "compute_classification_metrics"),
    ({"classification_n_classes": 1}, "classification_n_classes"),
    ({"classification_betas": ["x"]}, "classification_betas"),
]


@pytest.mark.parametrize(("change", "param"), LEGACY_BAD, ids=[param for _, param in LEGACY_BAD])
def test_bad_legacy_requests_get_400_naming_the_parameter(http, training_file, assistants_file, change, param):
    files = {"ASSISTANTS": assistants_file, "TRAINING": training_file}
    body = {
        "training_file": training_file,
        **{key: files.get(value, value) if isinstance(value, str) else value for key, value in change.items()},
    }
    response = http.post("/fine-tunes", json={key: value for key, value in body.items() if value is not None})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


def test_bad_list_arguments_get_400(http, training_file):
    job_id = create(http, training_file=training_file)["id"]
    assert http.get("/fine_tuning/jobs", params={"limit": 0}).json()["error"]["param"] == "limit"
    assert http.get(f"/fine_tuning/jobs/{job_id}/events", params={"limit": "x"}).json()["error"]["param"] == "limit"
    legacy = http.post("/fine-tunes", json={"training_file": training_file, "model": "gpt-4o-mini"}).json()
    assert (
        http.get(f"/fine-tunes/{legacy['id']}/events", params={"stream": "maybe"}).json()["error"]["param"] == "stream"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/fine_tuning/jobs/ftjob-nothere"),
        ("post", "/fine_tuning/jobs/ftjob-nothere/cancel"),
        ("get", "/fine_tuning/jobs/ftjob-nothere/events"),
        ("get", "/fine_tuning/jobs/ftjob-nothere/checkpoints"),
        ("get", "/fine-tunes/ft-nothere"),
        ("post", "/fine-tunes/ft-nothere/cancel"),
        ("get", "/fine-tunes/ft-nothere/events"),
    ],
)
def test_unknown_jobs_get_404(http, method, path):
    response = getattr(http, method)(path)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "nothere" in error["message"] and error["param"]


# -- legacy /fine-tunes -----------------------------------------------------------------


def test_a_legacy_fine_tune_goes_through_its_statuses(http, slow):
    training = upload(http, completion_examples())
    created = http.post("/fine-tunes", json={"training_file": training, "suffix": "old"}).json()
    assert created["id"].startswith("ft-") and created["object"] == "fine-tune"
    assert created["model"] == "curie" and created["status"] == "pending"
    assert created["hyperparams"] == {
        "n_epochs": 4,
        "batch_size": None,
        "learning_rate_multiplier": None,
        "prompt_loss_weight": 0.01,
    }
    assert [f["id"] for f in created["training_files"]] == [training] and created["validation_files"] == []
    assert created["result_files"] == [] and created["events"][0]["object"] == "fine-tune-event"
    assert created["organization_id"] == "org-emulator" and created["fine_tuned_model"] is None

    slow.advance_clock(VALIDATING + QUEUED / 2)
    assert http.get(f"/fine-tunes/{created['id']}").json()["status"] == "pending"  # queued is still pending
    slow.advance_clock(QUEUED / 2 + 1)
    running = http.get(f"/fine-tunes/{created['id']}").json()
    assert running["status"] == "running" and running["hyperparams"]["batch_size"] == 1
    assert running["updated_at"] > created["updated_at"]
    slow.advance_clock(RUNNING)
    done = http.get(f"/fine-tunes/{created['id']}").json()
    assert done["status"] == "succeeded"
    assert done["fine_tuned_model"] == f"ft:curie:emulator:old:{created['id'][-8:]}"
    assert done["result_files"][0]["purpose"] == "fine-tune-results"

    listed = http.get("/fine-tunes").json()
    assert listed["object"] == "list" and [f["id"] for f in listed["data"]] == [created["id"]]
    assert "events" not in listed["data"][0]
    history = http.get(f"/fine-tunes/{created['id']}/events").json()["data"]
    assert history == done["events"] and all(e["object"] == "fine-tune-event" for e in history)
    assert [e["created_at"] for e in history] == sorted(e["created_at"] for e in history)  # oldest first
    assert any(e["message"].startswith("Epoch 4/4") for e in history) and history[-1]["message"] == "The job succeeded."
    assert all(set(e) == {"object", "created_at", "level", "message"} for e in history)


def test_legacy_and_current_jobs_are_apart(http, slow, training_file):
    current = create(http, training_file=training_file)["id"]
    legacy = http.post("/fine-tunes", json={"training_file": training_file, "model": "gpt-4o-mini"}).json()["id"]
    assert [j["id"] for j in http.get("/fine_tuning/jobs").json()["data"]] == [current]
    assert [j["id"] for j in http.get("/fine-tunes").json()["data"]] == [legacy]
    assert http.get(f"/fine_tuning/jobs/{legacy}").status_code == 404
    assert http.get(f"/fine-tunes/{current}").status_code == 404


def test_legacy_fine_tunes_take_every_hyperparameter(http, slow, training_file):
    body = {
        "training_file": training_file,
        "validation_file": training_file,
        "model": "gpt-3.5-turbo",
        "n_epochs": 2,
        "batch_size": 5,
        "learning_rate_multiplier": 0.1,
        "prompt_loss_weight": 0.2,
        "compute_classification_metrics": True,
        "classification_positive_class": " yes",
        "classification_betas": [0.5, 1, 2],
    }
    created = http.post("/fine-tunes", json=body).json()
    assert created["hyperparams"] == {
        "n_epochs": 2,
        "batch_size": 5,
        "learning_rate_multiplier": 0.1,
        "prompt_loss_weight": 0.2,
        "compute_classification_metrics": True,
        "classification_n_classes": None,
        "classification_positive_class": " yes",
        "classification_betas": [0.5, 1, 2],
    }
    assert [f["id"] for f in created["validation_files"]] == [training_file]
    slow.advance_clock(VALIDATING + QUEUED + RUNNING)
    assert http.get(f"/fine-tunes/{created['id']}").json()["status"] == "succeeded"


def test_a_legacy_fine_tune_can_be_cancelled_once(http, slow):
    created = http.post("/fine-tunes", json={"training_file": upload(http, completion_examples())}).json()
    cancelled = http.post(f"/fine-tunes/{created['id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and cancelled["events"][-1]["message"] == "The job was cancelled."
    assert http.post(f"/fine-tunes/{created['id']}/cancel").status_code == 400


def test_a_legacy_fine_tune_that_fails_says_so_in_its_events(http, slow):
    created = http.post("/fine-tunes", json={"training_file": upload(http, chat_examples())}).json()  # curie
    slow.advance_clock(VALIDATING)
    failed = http.get(f"/fine-tunes/{created['id']}").json()
    assert failed["status"] == "failed" and failed["events"][-1]["level"] == "error"
    assert "line 1:" in failed["events"][-1]["message"]


def sse_events(response):
    """The data of each server-sent event, up to and including ``[DONE]``."""
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("data: "):
            data = line[len("data: ") :]
            yield data if data == "[DONE]" else json.loads(data)
            if data == "[DONE]":
                return


def test_legacy_events_stream_until_the_job_finishes(http, slow):
    created = http.post("/fine-tunes", json={"training_file": upload(http, completion_examples())}).json()
    with http.get(f"/fine-tunes/{created['id']}/events", params={"stream": "true"}, stream=True, timeout=10) as live:
        assert live.headers["content-type"].startswith("text/event-stream")
        stream = sse_events(live)
        assert next(stream)["message"].startswith("Created fine-tuning job")
        slow.advance_clock(VALIDATING + QUEUED + RUNNING)  # the stream follows the clock
        rest = list(stream)
    assert rest[-1] == "[DONE]" and rest[-2]["message"] == "The job succeeded."
    assert [created["events"][0], *rest[:-1]] == http.get(f"/fine-tunes/{created['id']}/events").json()["data"]


def test_a_finished_legacy_fine_tune_streams_its_events_and_done_at_once(http, slow):
    created = http.post("/fine-tunes", json={"training_file": upload(http, completion_examples())}).json()
    slow.advance_clock(VALIDATING + QUEUED + RUNNING)
    with http.get(f"/fine-tunes/{created['id']}/events", params={"stream": "true"}, stream=True, timeout=10) as done:
        streamed = list(sse_events(done))
    assert streamed[:-1] == http.get(f"/fine-tunes/{created['id']}/events").json()["data"] and streamed[-1] == "[DONE]"


def test_a_live_stream_ends_when_the_emulator_is_reset(http, slow):
    """A client that went away is not noticed, so a reset is what ends a stream left open."""
    created = http.post("/fine-tunes", json={"training_file": upload(http, completion_examples())}).json()
    with http.get(f"/fine-tunes/{created['id']}/events", params={"stream": "true"}, stream=True, timeout=10) as live:
        stream = sse_events(live)
        next(stream)
        slow.reset()
        assert list(stream) == []  # closed, without [DONE]

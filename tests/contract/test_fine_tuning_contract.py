"""The emulator's fine-tuning answers fit OpenAI's specifications, in every job state.

``/v1/fine_tuning/...`` exchanges are checked against ``openapi-current.yaml`` and the
removed ``/v1/fine-tunes...`` against ``openapi-2023-legacy.yaml``. Every request and
answer of a run through both APIs is validated: creation with each method, jobs read
while validating, queued, running, succeeded, failed and cancelled, lists, events and
checkpoints. A streamed legacy event list is checked for its request only (the 2023
specification describes its answer as JSON, and the journal keeps no streamed body).
"""

from __future__ import annotations

import dataclasses
import json

import pytest
import requests

from airflow_provider_openai_adv.testing.fine_tuning import set_timings
from tests.contract.openapi import validate_exchange

VALIDATING, QUEUED, RUNNING = 100, 100, 300


class Caller:
    def __init__(self, emulator) -> None:
        self.base = emulator.base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {emulator.api_key}"

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = self.session.request(method, self.base + path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json() if response.headers["content-type"].startswith("application/json") else {}

    def upload(self, lines: list[dict]) -> str:
        content = "\n".join(json.dumps(line) for line in lines).encode()
        return self.call("POST", "/files", files={"file": ("data.jsonl", content)}, data={"purpose": "fine-tune"})["id"]


def chat(count: int = 10) -> list[dict]:
    return [
        {"messages": [{"role": "user", "content": f"Q{i}"}, {"role": "assistant", "content": f"A{i}"}]}
        for i in range(count)
    ]


def run_current_api(api: Caller, emulator) -> None:
    training = api.upload(chat())
    preference = api.upload(
        [
            {
                "input": {"messages": [{"role": "user", "content": f"Q{i}"}]},
                "preferred_output": [{"role": "assistant", "content": "yes"}],
                "non_preferred_output": [{"role": "assistant", "content": "no"}],
            }
            for i in range(10)
        ]
    )
    grader = {
        "type": "string_check",
        "name": "g",
        "input": "{{sample.output_text}}",
        "reference": "x",
        "operation": "eq",
    }
    jobs = [
        api.call(
            "POST",
            "/fine_tuning/jobs",
            json={
                "model": "gpt-4o-mini",
                "training_file": training,
                "validation_file": training,
                "suffix": "contract",
                "seed": 7,
                "metadata": {"team": "a"},
                "hyperparameters": {"n_epochs": 2, "batch_size": "auto", "learning_rate_multiplier": 0.5},
                "integrations": [{"type": "wandb", "wandb": {"project": "p", "tags": ["t"]}}],
            },
        )["id"],
        api.call(
            "POST",
            "/fine_tuning/jobs",
            json={
                "model": "gpt-4o",
                "training_file": preference,
                "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}},
            },
        )["id"],
        api.call(
            "POST",
            "/fine_tuning/jobs",
            json={
                "model": "gpt-4.1-mini",
                "training_file": training,
                "method": {"type": "reinforcement", "reinforcement": {"grader": grader}},
            },
        )["id"],
        api.call("POST", "/fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": api.upload(chat(3))})[
            "id"
        ],
        api.call("POST", "/fine_tuning/jobs", json={"model": "davinci-002", "training_file": training})["id"],
    ]
    cancelled = api.call("POST", "/fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": training})["id"]
    for step in (0, VALIDATING + QUEUED / 2, QUEUED / 2 + RUNNING / 2, RUNNING):  # validating → ... → finished
        emulator.advance_clock(step)
        for job_id in jobs:
            api.call("GET", f"/fine_tuning/jobs/{job_id}")
            api.call("GET", f"/fine_tuning/jobs/{job_id}/events", params={"limit": 5})
            api.call("GET", f"/fine_tuning/jobs/{job_id}/checkpoints")
        api.call("GET", "/fine_tuning/jobs", params={"limit": 3})
        if step == 0:
            api.call("POST", f"/fine_tuning/jobs/{cancelled}/cancel")
    events = api.call("GET", f"/fine_tuning/jobs/{jobs[0]}/events", params={"limit": 2})["data"]
    api.call("GET", f"/fine_tuning/jobs/{jobs[0]}/events", params={"after": events[-1]["id"], "limit": 100})
    api.call("GET", f"/fine_tuning/jobs/{jobs[0]}/checkpoints", params={"limit": 1})
    api.call("GET", "/fine_tuning/jobs", params={"metadata[team]": "a"})
    api.call("GET", "/fine_tuning/jobs", params={"after": cancelled, "limit": 2})


def run_legacy_api(api: Caller, emulator) -> None:
    completions = api.upload([{"prompt": f"P{i} ->", "completion": f" C{i}"} for i in range(10)])
    minimal = api.call("POST", "/fine-tunes", json={"training_file": completions})["id"]
    full = api.call(
        "POST",
        "/fine-tunes",
        json={
            "training_file": completions,
            "validation_file": completions,
            "model": "ada",
            "n_epochs": 2,
            "batch_size": 2,
            "learning_rate_multiplier": 0.1,
            "prompt_loss_weight": 0.1,
            "compute_classification_metrics": True,
            "classification_n_classes": 3,
            "classification_betas": [0.5, 1.0],
            "suffix": "old",
        },
    )["id"]
    failing = api.call("POST", "/fine-tunes", json={"training_file": api.upload(chat())})["id"]  # chat data, curie
    cancelled = api.call("POST", "/fine-tunes", json={"training_file": completions, "model": "babbage"})["id"]
    api.call("POST", f"/fine-tunes/{cancelled}/cancel")
    for step in (0, VALIDATING + QUEUED / 2, QUEUED / 2 + RUNNING / 2, RUNNING):
        emulator.advance_clock(step)
        for job_id in (minimal, full, failing, cancelled):
            api.call("GET", f"/fine-tunes/{job_id}")
            api.call("GET", f"/fine-tunes/{job_id}/events")
        api.call("GET", "/fine-tunes")
    with api.session.get(f"{api.base}/fine-tunes/{minimal}/events", params={"stream": "true"}, stream=True) as sse:
        assert sse.status_code == 200 and sse.text.endswith("data: [DONE]\n\n")


@pytest.fixture
def slow(openai_emulator):
    set_timings(openai_emulator.state, validating=VALIDATING, queued=QUEUED, running=RUNNING)
    return openai_emulator


def test_a_learning_rate_multiplier_below_one_fits(current_spec):
    """The spec's ``exclusiveMinimum: true`` means "more than 0" (see ``tests/contract/openapi.py``)."""
    from openapi_core.testing import MockRequest

    body = json.dumps({"model": "m", "training_file": "f", "hyperparameters": {"learning_rate_multiplier": 0.5}})
    request = MockRequest(
        "https://api.openai.com",
        "post",
        "/v1/fine_tuning/jobs",
        headers={"Authorization": "Bearer sk-x"},
        content_type="application/json",
        data=body.encode(),
    )
    current_spec.validate_request(request)


def test_current_fine_tuning_fits_the_current_spec(slow, current_spec):
    run_current_api(Caller(slow), slow)
    exchanges = [entry for entry in slow.requests if entry.path.startswith("/v1/fine_tuning/")]
    statuses = {entry.response_json().get("status") for entry in exchanges}
    assert {"validating_files", "queued", "running", "succeeded", "failed", "cancelled"} <= statuses
    assert len(exchanges) > 60
    for entry in exchanges:
        validate_exchange(current_spec, entry)


def test_legacy_fine_tunes_fit_the_2023_spec(slow, legacy_spec):
    run_legacy_api(Caller(slow), slow)
    exchanges = [entry for entry in slow.requests if entry.path.startswith("/v1/fine-tunes")]
    statuses = {entry.response_json().get("status") for entry in exchanges if entry.response_body}
    assert {"pending", "running", "succeeded", "failed", "cancelled"} <= statuses
    assert exchanges[-1].query == {"stream": "true"} and exchanges[-1].response_body is None  # streamed
    for entry in exchanges:
        validate_exchange(legacy_spec, entry)


def test_a_job_in_a_legacy_shape_is_caught_by_the_contract_check(slow, current_spec):
    """The check can fail: a current job answered with a legacy status is reported."""
    from openapi_core.exceptions import OpenAPIError

    api = Caller(slow)
    api.call("POST", "/fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": api.upload(chat())})
    entry = slow.requests[-1]
    validate_exchange(current_spec, entry)
    wrong = dataclasses.replace(
        entry, response_body=json.dumps({**entry.response_json(), "status": "pending"}).encode()
    )
    with pytest.raises(OpenAPIError):
        validate_exchange(current_spec, wrong)

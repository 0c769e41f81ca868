"""A job kind's status map, and the one event every wait ends with."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.exceptions import InvalidResponseError
from airflow_provider_openai_adv.jobs.events import JobWaitFailed, Outcome, WaitEvent
from airflow_provider_openai_adv.jobs.fine_tuning import FINE_TUNE, LEGACY_FINE_TUNE
from airflow_provider_openai_adv.jobs.kinds import JobState, kind_named


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("validating_files", JobState.RUNNING),
        ("queued", JobState.RUNNING),
        ("running", JobState.RUNNING),
        ("paused", JobState.RUNNING),
        ("pending", JobState.RUNNING),  # the 2023 API's "not started yet"
        ("warming_up", JobState.RUNNING),  # a status this version does not know: still going
        ("succeeded", JobState.SUCCEEDED),
        ("failed", JobState.FAILED),
        ("cancelled", JobState.CANCELLED),
    ],
)
def test_each_fine_tune_status_says_where_the_job_stands(status, state):
    assert FINE_TUNE.state_of({"id": "ftjob-1", "status": status}) is state
    assert state.is_terminal is (state is not JobState.RUNNING)


@pytest.mark.parametrize(
    "answer", [None, [], "running", {}, {"id": 7, "status": "running"}, {"id": "j"}, {"id": "j", "status": None}]
)
def test_an_answer_that_is_not_a_job_is_an_invalid_response(answer):
    with pytest.raises(InvalidResponseError, match="fine-tuning job"):
        FINE_TUNE.state_of(answer)


def test_kinds_are_found_by_the_name_a_trigger_serializes():
    assert kind_named("fine_tune") is FINE_TUNE
    assert kind_named("legacy_fine_tune") is LEGACY_FINE_TUNE
    with pytest.raises(ValueError, match="unknown job kind 'batch_of_cats'"):
        kind_named("batch_of_cats")


def test_the_failure_reason_is_openais_or_the_status():
    assert FINE_TUNE.failure_reason({"id": "j", "status": "failed", "error": {"message": "line 3: bad"}}) == (
        "fine-tuning job j failed: line 3: bad"
    )
    assert FINE_TUNE.failure_reason({"id": "j", "status": "cancelled", "error": "odd"}) == "fine-tuning job j cancelled"


def test_an_event_travels_as_primitives_and_comes_back_equal():
    event = WaitEvent(Outcome.SUCCESS, "fine_tune", "ftjob-1", "", {"id": "ftjob-1", "status": "succeeded"}, "ev-9")
    payload = event.to_payload()
    assert payload["outcome"] == "success" and payload["last_event_id"] == "ev-9"
    assert WaitEvent.from_payload(payload) == event
    assert WaitEvent.from_payload(payload).result() == {"id": "ftjob-1", "status": "succeeded"}


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        (Outcome.FAILED, "fine-tuning job j failed: boom"),
        (Outcome.CANCELLED, "fine-tuning job j cancelled"),
        (Outcome.EXPIRED, "batch j expired"),
        (Outcome.TIMEOUT, "timed out: still running at the deadline"),
        (Outcome.ERROR, "could not be read"),
    ],
)
def test_only_success_gives_a_result_every_other_outcome_raises_naming_why(outcome, message):
    with pytest.raises(JobWaitFailed, match=message) as caught:
        WaitEvent(outcome, "fine_tune", "j", message).result()
    assert caught.value.outcome is outcome and caught.value.job_id == "j"


@pytest.mark.parametrize(
    "payload",
    [None, "success", [], {"outcome": "won"}, {"outcome": "success"}, {"outcome": "success", "kind": "k", "job_id": 3}],
    ids=repr,
)
def test_a_malformed_trigger_event_is_an_error_not_a_success(payload):
    with pytest.raises(JobWaitFailed, match="unexpected trigger event") as caught:
        WaitEvent.from_payload(payload).result()
    assert caught.value.outcome is Outcome.ERROR


def test_a_success_event_without_its_job_does_not_pass():
    with pytest.raises(JobWaitFailed):
        WaitEvent(Outcome.SUCCESS, "fine_tune", "j").result()

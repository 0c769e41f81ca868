"""The one status model shared by the create operator, the sensor and the trigger."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.status import (
    FineTuneFailed,
    FineTuneStatus,
    Outcome,
    check_event,
    failure_reason,
    is_finished,
    job_event,
)


@pytest.mark.parametrize(
    ("status", "terminal", "success"),
    [
        ("validating_files", False, False),
        ("queued", False, False),
        ("running", False, False),
        ("paused", False, False),
        ("pending", False, False),
        ("succeeded", True, True),
        ("failed", True, False),
        ("cancelled", True, False),
    ],
)
def test_each_status_says_whether_waiting_is_over(status, terminal, success):
    parsed = FineTuneStatus.of({"status": status})
    assert (parsed.is_terminal, parsed.is_success) == (terminal, success)
    assert is_finished({"status": status}) is terminal


def test_an_unknown_status_is_still_in_progress():
    assert FineTuneStatus.of({"status": "warming_up"}) is None
    assert not is_finished({"status": "warming_up"})


def test_a_finished_job_becomes_an_event_of_primitives():
    job = {"id": "ftjob-1", "status": "failed", "fine_tuned_model": None, "error": {"message": "line 3: bad"}}
    assert job_event(job) == {
        "status": "failed",
        "fine_tune_id": "ftjob-1",
        "fine_tuned_model": None,
        "message": "fine-tuning job ftjob-1 failed: line 3: bad",
    }
    assert job_event({"id": "ftjob-2", "status": "succeeded", "fine_tuned_model": "ft:x"})["status"] == "success"
    assert job_event({"id": "ftjob-3", "status": "cancelled"})["status"] == "cancelled"


def test_only_a_success_event_passes():
    assert check_event({"status": "success", "fine_tune_id": "ftjob-1"})["fine_tune_id"] == "ftjob-1"


@pytest.mark.parametrize(
    ("event", "outcome", "message"),
    [
        ({"status": "failed", "fine_tune_id": "j", "message": "boom"}, Outcome.FAILED, "boom"),
        ({"status": "cancelled", "fine_tune_id": "j"}, Outcome.CANCELLED, "fine-tuning job j cancelled"),
        ({"status": "timeout", "fine_tune_id": "j", "message": "timed out"}, Outcome.TIMEOUT, "timed out"),
        ({"status": "error", "fine_tune_id": "j", "message": "404"}, Outcome.ERROR, "404"),
        ({"status": "weird"}, Outcome.ERROR, "unexpected trigger event status"),
        ({"no": "status"}, Outcome.ERROR, "unexpected trigger event"),
        (None, Outcome.ERROR, "unexpected trigger event"),
    ],
)
def test_every_other_event_raises_naming_why(event, outcome, message):
    with pytest.raises(FineTuneFailed, match=message) as caught:
        check_event(event)
    assert caught.value.outcome is outcome


def test_the_failure_reason_falls_back_to_the_status():
    assert failure_reason({"id": "ftjob-9", "status": "cancelled"}) == "fine-tuning job ftjob-9 cancelled"

"""The wait engine against the emulator, on a clock the test moves: no test waits for real.

``Time`` stands in for the engine's clock and sleep and moves the emulator's clock with
them, so a job that trains for minutes and a grace period of five minutes take
milliseconds, and what is asserted is how many polls were made, never how long they took.
"""

from __future__ import annotations

import logging

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.jobs.engine import WaitPolicy, Watch, poll_once, wait
from airflow_provider_openai_adv.jobs.events import Outcome
from airflow_provider_openai_adv.jobs.fine_tuning import FINE_TUNE
from tests.fine_tuning import start_job


class Time:
    """A clock and a sleep for the engine; sleeping also moves the emulator's clock."""

    def __init__(self, emulator, now: float = 1_700_000_000.0) -> None:
        self.emulator = emulator
        self.now = now
        self.pauses: list[float] = []
        self.on_pause = None  # called with the pause number, to act between two polls

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
        self.emulator.advance_clock(seconds)
        if self.on_pause:
            self.on_pause(len(self.pauses))


@pytest.fixture
def time_(openai_emulator):
    openai_emulator.set_fine_tune_timings(validating=30, queued=30, running=120)
    return Time(openai_emulator)


@pytest.fixture
def hook(openai_emulator, monkeypatch):
    """A hook whose client does not retry, so each poll is one request."""
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(max_retries=0))
    return OpenAIAdvHook()


def watch_for(job, time_, *, poll_interval=60.0, deadline=None, grace=300.0, task_log=None):
    policy = WaitPolicy(poll_interval, deadline, grace, jitter=0)
    return Watch(FINE_TUNE, job["id"], policy, task_log or logging.getLogger("test"), clock=time_.clock)


def job_polls(emulator, job_id):
    return [entry for entry in emulator.requests if entry.path == f"/v1/fine_tuning/jobs/{job_id}"]


def test_a_job_is_polled_until_it_succeeds(openai_emulator, hook, time_):
    job = start_job(hook)
    event = wait(watch_for(job, time_), hook.client, sleep=time_.sleep)
    assert event.outcome is Outcome.SUCCESS and event.job["fine_tuned_model"].startswith("ft:gpt-4o-mini:")
    assert time_.pauses == [60.0] * 3  # 180 s of training, polled every 60 s
    assert len(job_polls(openai_emulator, job["id"])) == 4


def test_the_deadline_ends_the_wait_without_sleeping_past_it(openai_emulator, hook, time_):
    job = start_job(hook)
    event = wait(watch_for(job, time_, deadline=time_.now + 90), hook.client, sleep=time_.sleep)
    assert event.outcome is Outcome.TIMEOUT and "still" in event.message and "at the deadline" in event.message
    assert time_.pauses == [60.0, 30.0]


def test_a_short_outage_does_not_end_the_wait(openai_emulator, hook, time_, caplog):
    """The server goes away for two polls (connections refused), then comes back."""
    job = start_job(hook)

    def outage(pause_number):
        if pause_number == 1:
            openai_emulator.stop()
        if pause_number == 3:
            openai_emulator.start()

    time_.on_pause = outage
    with caplog.at_level(logging.WARNING, logger="test"):
        event = wait(watch_for(job, time_), hook.client, sleep=time_.sleep)
    assert event.outcome is Outcome.SUCCESS
    retried = [
        record.getMessage() for record in caplog.records if "trying again at the next poll" in record.getMessage()
    ]
    assert len(retried) == 2 and "APIConnectionError" in retried[0]


def test_a_burst_of_5xx_within_the_grace_is_ridden_out(openai_emulator, hook, time_):
    job = start_job(hook)
    openai_emulator.add_fault(path=f"/v1/fine_tuning/jobs/{job['id']}", status=503, times=4)
    event = wait(watch_for(job, time_), hook.client, sleep=time_.sleep)
    assert event.outcome is Outcome.SUCCESS
    assert [entry.status for entry in job_polls(openai_emulator, job["id"])][:4] == [503] * 4


def test_failing_past_the_grace_ends_the_wait_naming_the_cause(openai_emulator, hook, time_):
    job = start_job(hook)
    openai_emulator.add_fault(path=f"/v1/fine_tuning/jobs/{job['id']}", status=502)
    event = wait(watch_for(job, time_, grace=300), hook.client, sleep=time_.sleep)
    assert event.outcome is Outcome.ERROR
    assert "could not be read for 360 s (transient_error_grace is 300 s)" in event.message
    assert "502" in event.message
    assert len(job_polls(openai_emulator, job["id"])) == 7  # failures at 0, 60, ... 360 s


@pytest.mark.parametrize("body", ["<html>Gateway</html>", "[]", '{"id": "x"}', "{}"])
def test_an_answer_that_is_not_a_job_is_ridden_out_like_an_outage(openai_emulator, hook, time_, body):
    job = start_job(hook)
    openai_emulator.add_fault(path=f"/v1/fine_tuning/jobs/{job['id']}", status=200, body=body, times=2)
    assert wait(watch_for(job, time_), hook.client, sleep=time_.sleep).outcome is Outcome.SUCCESS
    openai_emulator.add_fault(path=f"/v1/fine_tuning/jobs/{job['id']}", status=200, body=body)
    event = wait(watch_for(job, time_, grace=0), hook.client, sleep=time_.sleep)
    assert event.outcome is Outcome.ERROR and "InvalidResponseError" in event.message


def test_an_error_no_retry_can_fix_ends_the_wait_at_once(openai_emulator, hook, time_):
    event = wait(watch_for({"id": "ftjob-unknown"}, time_), hook.client, sleep=time_.sleep)
    assert event.outcome is Outcome.ERROR and "404" in event.message
    assert time_.pauses == []


def test_every_event_between_two_polls_reaches_the_log(openai_emulator, hook, time_):
    """Over 200 training steps happen between two polls an hour apart; each is logged once, in order."""
    job = start_job(hook, n_epochs=20, batch_size=1)
    lines: list[str] = []

    class TaskLog:
        def info(self, template, *args):
            lines.append(template % args)

        warning = info

    watch = watch_for(job, time_, poll_interval=3600, task_log=TaskLog())
    event = wait(watch, hook.client, sleep=time_.sleep)
    assert event.outcome is Outcome.SUCCESS
    steps = [int(line.split("step ")[1].split("/")[0]) for line in lines if "] step " in line]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= 200
    pages = [entry for entry in openai_emulator.requests if entry.path.endswith("/events")]
    assert len(pages) >= 3  # the events came in pages of 100


def test_a_poke_is_one_poll(openai_emulator, hook, time_):
    job = start_job(hook)
    watch = watch_for(job, time_)
    assert poll_once(watch, hook.client) is None
    time_.sleep(400)
    assert poll_once(watch, hook.client).outcome is Outcome.SUCCESS


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"poll_interval": 0}, "poll_interval"),
        ({"poll_interval": -5}, "poll_interval"),
        ({"grace": -1}, "transient_error_grace"),
    ],
)
def test_bad_wait_settings_are_refused_by_name(settings, named):
    with pytest.raises(OpenAIValidationError, match=f"^{named}: "):
        WaitPolicy(**{"poll_interval": 60, **settings})

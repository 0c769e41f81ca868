"""Properties of the wait engine's reading of polls: whatever a server says about a job,
a poll ends the wait with a ``WaitEvent``, asks for another (``None``), or — for an answer
that is not a job — raises ``InvalidResponseError``, which the loops ride out within the
grace period. Never another exception: in a trigger that would end the wait at once."""

from __future__ import annotations

import asyncio
import json

from hypothesis import example, given
from hypothesis import strategies as st

from airflow_provider_openai_adv.client.aio import AsyncOpenAIClient
from airflow_provider_openai_adv.client.config import ClientConfig
from airflow_provider_openai_adv.client.http import OpenAIClient
from airflow_provider_openai_adv.exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    InvalidResponseError,
    OpenAIAdvError,
    StreamError,
)
from airflow_provider_openai_adv.jobs.engine import WaitPolicy, Watch, apoll_once, poll_once
from airflow_provider_openai_adv.jobs.events import JobWaitFailed, Outcome, WaitEvent
from airflow_provider_openai_adv.jobs.fine_tuning import FINE_TUNE, LEGACY_FINE_TUNE, METRIC_NAMES
from airflow_provider_openai_adv.jobs.progress import NewEvents
from tests.strategies import TRICKY_TEXT, bounded, json_values, odd_bodies, over_http

ODD = json_values(5)
NUMBERS = st.one_of(
    st.sampled_from([0, 1, -1, 1e11, 2**63, 10**400, -(10**400), 1e308, 0.5, True, float("inf"), float("nan")]),
    st.integers(),
    st.floats(),
)
STATUSES = st.one_of(
    st.sampled_from(["validating_files", "queued", "running", "succeeded", "failed", "cancelled", "pending", ""]),
    ODD,
)
JOBS = st.one_of(
    ODD,
    st.fixed_dictionaries(
        {"id": st.one_of(st.sampled_from(["ftjob-1", ""]), TRICKY_TEXT, ODD)},
        optional={
            "status": STATUSES,
            "error": st.one_of(ODD, st.fixed_dictionaries({}, optional={"message": ODD, "code": ODD})),
            "estimated_finish": st.one_of(NUMBERS, ODD),
            "trained_tokens": st.one_of(NUMBERS, ODD),
            "fine_tuned_model": ODD,
        },
    ),
)
METRICS_DATA = st.fixed_dictionaries(
    {}, optional={name: st.one_of(NUMBERS, ODD) for name in ("step", "total_steps", *METRIC_NAMES)}
)
JOB_EVENTS = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.sampled_from(["ev-1", "ev-2"]), ODD),
        "type": st.one_of(st.sampled_from(["metrics", "message"]), ODD),
        "message": ODD,
        "data": st.one_of(METRICS_DATA, ODD),
    },
)
KINDS = st.sampled_from([FINE_TUNE, LEGACY_FINE_TUNE])


class FormattingLog:
    """A task log that formats every message, as a real handler would, so a bad argument shows."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def _log(self, message, *args):
        self.lines.append(message % args)

    info = warning = debug = error = _log


def watch(kind, *, grace=300.0, deadline=None, last_event_id=None, now=1_700_000_000.0):
    clock = [now]
    policy = WaitPolicy(60.0, deadline, grace, jitter=0)
    return Watch(kind, "ftjob-1", policy, FormattingLog(), last_event_id=last_event_id, clock=lambda: clock[0]), clock


def new_events(kind, last_event_id, pages):
    events = NewEvents(last_event_id, newest_first=kind.events_newest_first, max_events=3)
    for page in pages:
        if not events.take(page):
            break
    return events


PAGES_OF_EVENTS = st.one_of(st.none(), st.lists(st.lists(JOB_EVENTS, max_size=3), max_size=2))
LAST_EVENT_IDS = st.one_of(st.none(), st.sampled_from(["ev-1", "ev-2"]), TRICKY_TEXT)
RUNNING = {"id": "ftjob-1", "status": "running"}


def metrics(**data):
    return [[{"type": "metrics", "data": data}]]


@bounded(100)
@given(KINDS, JOBS, PAGES_OF_EVENTS, LAST_EVENT_IDS, st.sampled_from([None, 0.0, 1e10]))
@example(FINE_TUNE, RUNNING, metrics(step=10**400, total_steps=1.0), None, None)  # OverflowError in the progress line
@example(FINE_TUNE, RUNNING, metrics(step=1, train_loss=10**400), None, None)
def test_observing_any_job_gives_an_event_none_or_invalid_response(kind, job, pages, last_event_id, deadline_in):
    deadline = None if deadline_in is None else 1_700_000_000.0 + deadline_in
    watcher, _ = watch(kind, deadline=deadline, last_event_id=last_event_id)
    events = None if pages is None else new_events(kind, last_event_id, pages)
    try:
        event = watcher.observe(job, events)
    except InvalidResponseError:
        return
    if event is None:
        return
    assert isinstance(event, WaitEvent) and event.job_id == "ftjob-1" and event.kind == kind.name
    assert event.outcome is not Outcome.ERROR
    payload = event.to_payload()
    assert json.dumps(WaitEvent.from_payload(payload).to_payload()) == json.dumps(payload)  # NaN != NaN: compare text


ERRORS = st.one_of(
    st.builds(InvalidResponseError, TRICKY_TEXT),
    st.builds(APIConnectionError, TRICKY_TEXT),
    st.builds(StreamError, TRICKY_TEXT),
    st.builds(lambda code, text: APIStatusError(status_code=code, message=text), st.integers(400, 599), TRICKY_TEXT),
    st.builds(lambda text: AuthenticationError(status_code=401, message=text), TRICKY_TEXT),
    st.builds(lambda cls, text: cls(text), st.sampled_from([ValueError, KeyError, TypeError, OverflowError]), ODD),
)
PERMANENT = (400, 401, 403, 404, 422)


@bounded(100)
@given(KINDS, st.lists(st.tuples(ERRORS, st.floats(0, 1000)), min_size=1, max_size=6), st.sampled_from([0, 30, 300]))
def test_a_failed_poll_is_ridden_out_within_the_grace_then_ends_in_error(kind, failures, grace):
    watcher, clock = watch(kind, grace=grace)
    started = clock[0]
    for error, later in failures:
        clock[0] += later
        event = watcher.observe_error(error)
        if event is not None:
            assert event.outcome is Outcome.ERROR and event.job_id == "ftjob-1"
            assert type(error).__name__ in event.message
            permanent = isinstance(error, APIStatusError) and error.status_code in PERMANENT
            transient = isinstance(error, OpenAIAdvError) and not permanent
            assert not transient or clock[0] - started > grace
            return


PAYLOADS = st.one_of(
    ODD,
    st.fixed_dictionaries(
        {},
        optional={
            "outcome": st.one_of(st.sampled_from([outcome.value for outcome in Outcome]), ODD),
            "kind": st.one_of(st.sampled_from(["fine_tune", "legacy_fine_tune"]), ODD),
            "job_id": st.one_of(st.just("ftjob-1"), ODD),
            "message": ODD,
            "job": st.one_of(st.fixed_dictionaries({"id": st.just("ftjob-1")}), ODD),
            "last_event_id": st.one_of(st.just("ev-1"), ODD),
        },
    ),
)


@bounded(100)
@given(PAYLOADS)
def test_any_trigger_payload_reads_as_an_event_or_job_wait_failed(payload):
    try:
        event = WaitEvent.from_payload(payload)
    except JobWaitFailed as failure:
        assert failure.outcome is Outcome.ERROR
        return
    assert isinstance(event.outcome, Outcome) and isinstance(event.job_id, str) and isinstance(event.kind, str)
    assert isinstance(event.message, str) and (event.job is None or isinstance(event.job, dict))
    try:
        result = event.result()
    except JobWaitFailed as failure:
        assert failure.outcome is event.outcome
    else:
        assert event.outcome is Outcome.SUCCESS and result is event.job


# -- over HTTP: the trigger's poll and the worker's --------------------------------------

JOB_BODIES = st.one_of(
    odd_bodies(),
    JOBS.map(json.dumps),
)
RUNNING_JOB = json.dumps({"id": "ftjob-1", "object": "fine_tuning.job", "status": "running"})
EVENT_PAGES = st.one_of(
    odd_bodies(),
    st.builds(
        lambda data, has_more: json.dumps({"object": "list", "data": data, "has_more": has_more}),
        st.lists(JOB_EVENTS, max_size=3),
        st.one_of(st.booleans(), ODD),
    ),
)


@over_http(25)
@given(KINDS, JOB_BODIES, EVENT_PAGES, st.sampled_from(["job", "events"]))
@example(FINE_TUNE, RUNNING_JOB, json.dumps({"data": metrics(step=10**400, total_steps=1)[0]}), "events")
def test_a_poll_answered_anything_never_raises_and_rides_it_out(openai_emulator, kind, job_body, events_body, odd):
    openai_emulator.clear_faults()
    path = "/v1/" + kind.retrieve.format(fine_tune_id="ftjob-1")
    if odd == "events":  # the job reads well, its events do not
        openai_emulator.add_fault(path=path, status=200, body=RUNNING_JOB)
        openai_emulator.add_fault(path=path + "/events", status=200, body=events_body)
    else:
        openai_emulator.add_fault(path=path + "*", status=200, body=job_body)
    config = ClientConfig(api_key=openai_emulator.api_key, base_url=openai_emulator.base_url, max_retries=0)

    async def poll():
        client = AsyncOpenAIClient(config)
        try:
            return await apoll_once(watch(kind)[0], client)
        finally:
            await client.aclose()

    client = OpenAIClient(config)
    try:
        events = [asyncio.run(poll()), poll_once(watch(kind)[0], client)]
    finally:
        client.close()
    for event in events:  # a job that reads as finished ends the wait; anything else is polled again
        assert event is None or event.outcome in (Outcome.SUCCESS, Outcome.FAILED, Outcome.CANCELLED), event

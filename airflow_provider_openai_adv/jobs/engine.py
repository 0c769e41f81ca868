"""The one wait engine: poll a job of any kind until it ends, in a worker or in a triggerer.

:class:`Watch` holds one wait's state and makes every decision — is the job finished,
is the deadline past, is an error worth another poll — without doing any I/O; the sync
(:func:`wait`, :func:`poll_once`) and async (:func:`await_job`) loops around it only
fetch and sleep. So the operator waiting in a worker, the sensor's pokes and the trigger
behave alike by construction.

**Transient errors.** The client already retries each request a few times. When a poll
still fails — the server unreachable for a minute, a burst of 5xx, a proxy's page
instead of JSON — the wait does not end: the next poll tries again, for up to
``grace`` seconds of consecutive failures, and only then ends with ``error``, naming
the cause. Errors no retry can fix (401, 404, a bad certificate) end it at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.exceptions import OpenAIAdvError, OpenAIValidationError, is_permanent
from airflow_provider_openai_adv.jobs.events import Outcome, WaitEvent
from airflow_provider_openai_adv.jobs.kinds import JobKind
from airflow_provider_openai_adv.jobs.progress import EVENT_PAGE_SIZE, NewEvents, ProgressLog

if TYPE_CHECKING:
    from airflow_provider_openai_adv.client.aio import AsyncOpenAIClient
    from airflow_provider_openai_adv.client.http import OpenAIClient

DEFAULT_GRACE = 300.0  # seconds of failing polls in a row a wait rides out

log = logging.getLogger("airflow_provider_openai_adv.jobs")


@dataclass(frozen=True)
class WaitPolicy:
    """How one wait polls.

    :param poll_interval: seconds between polls (each pause varies by ±``jitter``, so
        many waits started together do not poll in step).
    :param deadline: a UNIX time after which the wait ends with ``timeout``.
    :param grace: seconds of consecutive failed polls tolerated before ending with ``error``.
    """

    poll_interval: float
    deadline: float | None = None
    grace: float = DEFAULT_GRACE
    jitter: float = 0.1

    def __post_init__(self) -> None:
        check_positive("poll_interval", self.poll_interval)
        check_positive("transient_error_grace", self.grace, allow_zero=True)


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> None:
    """A number of seconds that must be above zero (or at least zero)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OpenAIValidationError(f"{name}: expected a number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero) or value != value:
        bound = "0 or more" if allow_zero else "more than 0"
        raise OpenAIValidationError(f"{name}: must be {bound} seconds, got {value!r}")


class Watch:
    """One wait for one job: its progress, its deadline, its run of failed polls."""

    def __init__(
        self,
        kind: JobKind,
        job_id: str,
        policy: WaitPolicy,
        task_log: Any = log,
        *,
        last_event_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kind = kind
        self.job_id = job_id
        self.policy = policy
        self.log = task_log
        self.clock = clock
        self.progress = ProgressLog(kind, task_log, last_event_id)
        self.failing_since: float | None = None
        self.last_status: str | None = None

    @property
    def last_event_id(self) -> str | None:
        return self.progress.last_event_id

    def observe(self, job: Any, events: NewEvents | None) -> WaitEvent | None:
        """A poll's answer: the event that ends the wait, or ``None`` to poll again."""
        state = self.kind.state_of(job)
        self.failing_since = None
        self.last_status = job["status"]
        self.progress.report(job, events)
        if state.is_terminal:
            message = "" if Outcome.of(state) is Outcome.SUCCESS else self.kind.failure_reason(job)
            return self._event(Outcome.of(state), message, job=job)
        return self._overdue()

    def observe_error(self, error: BaseException) -> WaitEvent | None:
        """A poll that failed: within the grace period, ``None`` (poll again); else the end."""
        if not isinstance(error, OpenAIAdvError) or is_permanent(error):
            return self._event(Outcome.ERROR, f"{self.kind.noun} {self.job_id} could not be read: {_named(error)}")
        now = self.clock()
        self.failing_since = self.failing_since if self.failing_since is not None else now
        failing_for = now - self.failing_since
        if failing_for > self.policy.grace:
            return self._event(
                Outcome.ERROR,
                f"{self.kind.noun} {self.job_id} could not be read for {failing_for:.0f} s "
                f"(transient_error_grace is {self.policy.grace:g} s): {_named(error)}",
            )
        self.log.warning(
            "Polling %s %s failed; trying again at the next poll (%.0f s of %g s grace used): %s",
            self.kind.noun, self.job_id, failing_for, self.policy.grace, _named(error),
        )  # fmt: skip
        return self._overdue()

    def _overdue(self) -> WaitEvent | None:
        deadline = self.policy.deadline
        if deadline is None or self.clock() < deadline:
            return None
        status = f"still {self.last_status}" if self.last_status else "not readable"
        return self._event(Outcome.TIMEOUT, f"{self.kind.noun} {self.job_id} timed out: {status} at the deadline")

    def pause(self) -> float:
        """Seconds until the next poll: the interval, never past the deadline."""
        jitter = self.policy.jitter
        pause = self.policy.poll_interval * random.uniform(1 - jitter, 1 + jitter)
        if self.policy.deadline is not None:
            pause = min(pause, max(0.0, self.policy.deadline - self.clock()))
        return pause

    def _event(self, outcome: Outcome, message: str, job: dict[str, Any] | None = None) -> WaitEvent:
        return WaitEvent(outcome, self.kind.name, self.job_id, message, job, self.last_event_id)


def _named(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _events_query(kind: JobKind) -> dict[str, Any] | None:
    return {"limit": EVENT_PAGE_SIZE} if kind.events_paginated else None


# -- the sync loop (workers, poke sensors) ----------------------------------------------


def poll_once(watch: Watch, client: OpenAIClient) -> WaitEvent | None:
    """Read the job (and its new events) once; the event that ends the wait, if any."""
    kind, ids = watch.kind, watch.kind.ids(watch.job_id)
    try:
        job = client.get(kind.retrieve, **ids)
        events = None
        if kind.events and isinstance(job, dict):
            events = NewEvents(watch.last_event_id, newest_first=kind.events_newest_first)
            for page in client.pages(kind.events, _events_query(kind), **ids):
                if not events.take(page["data"]):
                    break
        return watch.observe(job, events)
    except OpenAIAdvError as error:
        return watch.observe_error(error)


def wait(watch: Watch, client: OpenAIClient, *, sleep: Callable[[float], None] = time.sleep) -> WaitEvent:
    """Poll until the job ends, the deadline passes, or polling fails past the grace."""
    while (event := poll_once(watch, client)) is None:
        sleep(watch.pause())
    return event


# -- the async loop (triggers) ------------------------------------------------------------


async def apoll_once(watch: Watch, client: AsyncOpenAIClient) -> WaitEvent | None:
    """:func:`poll_once` on an event loop. Any exception at all ends in an event: a
    trigger must fire exactly one, whatever the server sends."""
    kind, ids = watch.kind, watch.kind.ids(watch.job_id)
    try:
        job = await client.get(kind.retrieve, **ids)
        events = None
        if kind.events and isinstance(job, dict):
            events = NewEvents(watch.last_event_id, newest_first=kind.events_newest_first)
            async for page in client.pages(kind.events, _events_query(kind), **ids):
                if not events.take(page["data"]):
                    break
        return watch.observe(job, events)
    except Exception as error:  # noqa: BLE001 - see the docstring
        return watch.observe_error(error)


async def await_job(watch: Watch, client: AsyncOpenAIClient) -> WaitEvent:
    """:func:`wait` without blocking the event loop."""
    while (event := await apoll_once(watch, client)) is None:
        await asyncio.sleep(watch.pause())
    return event

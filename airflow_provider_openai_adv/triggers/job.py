"""``OpenAIJobTrigger``: wait for any long-running job in the triggerer.

It polls through the wait engine's async loop (``httpx``), so a thousand of these share
one event loop without waiting on each other, and it never loads ``requests``; it
reports the job's new events to the task log as it goes; it serializes only primitives
(the kind's name, the job id, connection id, poll interval, deadline, grace, last event
reported), so a restarted triggerer resumes it from where it was; and it fires exactly
one event — a :class:`~airflow_provider_openai_adv.jobs.events.WaitEvent` payload —
whatever the server answers.

The triggers on one event loop share the work that is the same for all of them (see
:mod:`~airflow_provider_openai_adv.client.aio`): the connection is looked up once per
connection id for half a minute, and one pooled client per connection's settings
carries every trigger's polls — so a triggerer restarted with a thousand of them neither
spends its loop building a thousand clients nor opens a thousand sockets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_openai_adv.get_provider_info import DEFAULT_CONN_ID
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.jobs.engine import DEFAULT_GRACE, WaitPolicy, Watch, await_job
from airflow_provider_openai_adv.jobs.events import Outcome, WaitEvent
from airflow_provider_openai_adv.jobs.kinds import kind_named


class OpenAIJobTrigger(BaseTrigger):
    """Fires when the job ends (``success``, ``failed``, ``cancelled``, ``expired``), when the
    deadline passes (``timeout``), or when the job cannot be read past the grace period
    (``error``).

    :param kind: the job kind's name (``fine_tune``, ``legacy_fine_tune``…).
    :param job_id: the job to wait for.
    :param conn_id: the ``openai_adv`` connection.
    :param poll_interval: seconds between polls.
    :param deadline: a UNIX time after which waiting stops with ``timeout``; ``None`` waits on.
    :param transient_error_grace: seconds of failing polls in a row ridden out.
    :param last_event_id: the last job event already reported, so none is logged twice.
    :param not_before: a UNIX time before which nothing is polled, so nothing fires: Airflow
        (3.2, 3.3) can fail a task whose trigger fires within seconds of its deferral, when
        the scheduler reads the deferring process's exit after the trigger's event
        (apache/airflow#66374, #67287, #72716).
    """

    def __init__(
        self,
        kind: str,
        job_id: str,
        conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 60.0,
        deadline: float | None = None,
        transient_error_grace: float = DEFAULT_GRACE,
        last_event_id: str | None = None,
        not_before: float | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.job_id = job_id
        self.conn_id = conn_id
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.transient_error_grace = transient_error_grace
        self.last_event_id = last_event_id
        self.not_before = not_before

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "kind": self.kind,
                "job_id": self.job_id,
                "conn_id": self.conn_id,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "transient_error_grace": self.transient_error_grace,
                "last_event_id": self.last_event_id,
                "not_before": self.not_before,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        yield TriggerEvent((await self._wait()).to_payload())

    async def _wait(self) -> WaitEvent:
        hook = None
        try:
            from airflow_provider_openai_adv.client.aio import paced_start

            await wait_until(self.not_before)
            await paced_start()  # a thousand started together go on a few dozen per turn of the loop
            kind = kind_named(self.kind)
            policy = WaitPolicy(self.poll_interval, self.deadline, self.transient_error_grace)
            watch = Watch(kind, self.job_id, policy, self.log, last_event_id=self.last_event_id)
            hook = OpenAIAdvHook(conn_id=self.conn_id)
            event = await await_job(watch, await hook.async_client())
            self.last_event_id = watch.last_event_id
            return event
        except Exception as error:  # noqa: BLE001 - a trigger fires one event, whatever went wrong
            message = f"the wait for {self.kind} {self.job_id} could not run: {type(error).__name__}: {error}"
            return WaitEvent(Outcome.ERROR, self.kind, self.job_id, message, last_event_id=self.last_event_id)
        finally:
            if hook is not None:
                await hook.aclose()


async def wait_until(moment: float | None) -> None:
    """Sleep until the UNIX time ``moment``; not at all if it has passed."""
    if moment is not None:
        await asyncio.sleep(max(0.0, moment - time.time()))

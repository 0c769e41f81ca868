"""``OpenAIFineTuneTrigger``: wait for a fine-tuning job in the triggerer.

It polls with an asyncio HTTP client, so a thousand of these share one event loop
without waiting on each other; it reports the job's new events and metrics to the task
log as it goes; it serializes only primitives (job id, connection id, poll interval,
deadline, last event reported, legacy flag), so a restarted triggerer resumes it from
where the task deferred; and it fires exactly one event, whatever the outcome.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_openai_adv.get_provider_info import DEFAULT_CONN_ID


class OpenAIFineTuneTrigger(BaseTrigger):
    """Fires when the job is finished (``success``, ``failed``, ``cancelled``), when the
    deadline passes (``timeout``), or when the job cannot be read (``error``).

    :param fine_tune_id: the job to wait for.
    :param conn_id: the ``openai_adv`` connection.
    :param poll_interval: seconds between polls.
    :param deadline: a UNIX time after which waiting stops with ``timeout``; ``None`` waits on.
    :param last_event_id: the last job event already reported, so none is logged twice.
    :param legacy: the job is a 2023 ``/fine-tunes`` job.
    """

    def __init__(
        self,
        fine_tune_id: str,
        conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 60.0,
        deadline: float | None = None,
        last_event_id: str | None = None,
        legacy: bool = False,
    ) -> None:
        super().__init__()
        self.fine_tune_id = fine_tune_id
        self.conn_id = conn_id
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.last_event_id = last_event_id
        self.legacy = legacy

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "fine_tune_id": self.fine_tune_id,
                "conn_id": self.conn_id,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "last_event_id": self.last_event_id,
                "legacy": self.legacy,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_openai_adv.exceptions import OpenAIAdvError
        from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
        from airflow_provider_openai_adv.progress import ProgressLog
        from airflow_provider_openai_adv.status import Outcome, is_finished, job_event

        hook = OpenAIAdvHook(conn_id=self.conn_id, legacy=self.legacy)
        progress = ProgressLog(self.log, self.last_event_id, legacy=self.legacy)
        try:
            while True:
                job = await hook.aretrieve_fine_tune(self.fine_tune_id)
                progress.report(job, await hook.alist_fine_tune_events(self.fine_tune_id))
                self.last_event_id = progress.last_event_id
                if is_finished(job):
                    yield TriggerEvent(job_event(job))
                    return
                remaining = None if self.deadline is None else self.deadline - time.time()
                if remaining is not None and remaining <= 0:
                    yield TriggerEvent(
                        self._event(Outcome.TIMEOUT, f"timed out: still {job.get('status')} at the deadline")
                    )
                    return
                pause = self.poll_interval * random.uniform(0.9, 1.1)  # keeps many triggers from polling in step
                await asyncio.sleep(pause if remaining is None else min(pause, remaining))
        except OpenAIAdvError as error:
            yield TriggerEvent(self._event(Outcome.ERROR, f"could not read the job: {error}"))
        finally:
            await hook.aclose()

    def _event(self, outcome: Any, message: str) -> dict[str, Any]:
        return {
            "status": outcome.value,
            "fine_tune_id": self.fine_tune_id,
            "fine_tuned_model": None,
            "message": f"fine-tuning job {self.fine_tune_id}: {message}",
        }

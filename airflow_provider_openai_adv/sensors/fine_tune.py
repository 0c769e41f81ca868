"""Waiting for a fine-tuning job: ``OpenAIFineTuneSensor``, and the waiting the create
operator shares with it (poll, report progress, defer, judge the outcome).

Every mode reads the same status model (``airflow_provider_openai_adv.status``): the
job's success passes, anything else — failed, cancelled, timed out, unreadable — fails
the task with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf

from airflow_provider_openai_adv.get_provider_info import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
    from airflow_provider_openai_adv.progress import ProgressLog


def default_deferrable() -> bool:
    return conf.getboolean("operators", "default_deferrable", fallback=False)


class FineTuneWaiting:
    """Polling, deferring and outcome handling for anything that waits on a job.

    Needs ``hook``, ``conn_id``, ``legacy``, ``poll_interval`` and Airflow's ``log``/``defer``.
    """

    hook: OpenAIAdvHook
    conn_id: str
    legacy: bool | None
    poll_interval: float

    def poll(self, fine_tune_id: str, progress: ProgressLog) -> dict[str, Any]:
        """Read the job once and report what happened since the last poll."""
        job = self.hook.retrieve_fine_tune(fine_tune_id, legacy=self.legacy)
        events = self.hook.list_fine_tune_events(fine_tune_id, limit=50, legacy=self.legacy)
        progress.report(job, events)
        return job

    def defer_until_finished(self, fine_tune_id: str, deadline: float | None, last_event_id: str | None) -> None:
        """Hand the wait to the triggerer; ``execute_complete`` resumes the task."""
        from airflow_provider_openai_adv.triggers.fine_tune import OpenAIFineTuneTrigger

        self.defer(  # type: ignore[attr-defined]
            trigger=OpenAIFineTuneTrigger(
                fine_tune_id=fine_tune_id,
                conn_id=self.conn_id,
                poll_interval=self.poll_interval,
                deadline=deadline,
                last_event_id=last_event_id,
                legacy=self.hook.use_legacy(self.legacy),
            ),
            method_name="execute_complete",
        )

    def finished_job(self, event: dict[str, Any] | None) -> dict[str, Any]:
        """The job a success event reports; for any other event, the failure it names."""
        from airflow_provider_openai_adv.status import check_event

        return self.hook.retrieve_fine_tune(check_event(event)["fine_tune_id"], legacy=self.legacy)


class OpenAIFineTuneSensor(FineTuneWaiting, BaseSensorOperator):
    """Wait until a fine-tuning job succeeds; XCom gets the job (with ``fine_tuned_model``).

    Fails with the job's own error when it fails or is cancelled. Works in ``poke`` and
    ``reschedule`` mode and, with ``deferrable=True`` (default: ``[operators]
    default_deferrable``), in the triggerer without holding a worker slot. ``timeout``
    bounds the wait in every mode. The job's events and training metrics are logged.

    :param fine_tune_id: the job (templated).
    :param conn_id: the ``openai_adv`` connection.
    :param legacy: the job is a 2023 ``/fine-tunes`` job (default: the connection's setting).
    """

    template_fields: Sequence[str] = ("fine_tune_id", "conn_id")
    ui_color = "#c7ece0"

    def __init__(
        self,
        *,
        fine_tune_id: str,
        conn_id: str = DEFAULT_CONN_ID,
        legacy: bool | None = None,
        deferrable: bool = default_deferrable(),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.fine_tune_id = fine_tune_id
        self.conn_id = conn_id
        self.legacy = legacy
        self.deferrable = deferrable

    @property
    def poll_interval(self) -> float:
        return float(self.poke_interval)

    @cached_property
    def hook(self) -> OpenAIAdvHook:
        from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

        return OpenAIAdvHook(conn_id=self.conn_id)

    @cached_property
    def progress(self) -> ProgressLog:
        from airflow_provider_openai_adv.progress import ProgressLog

        return ProgressLog(self.log, legacy=self.hook.use_legacy(self.legacy))

    def poke(self, context: Context) -> PokeReturnValue | bool:
        from airflow_provider_openai_adv.status import check_event, is_finished, job_event

        job = self.poll(self.fine_tune_id, self.progress)
        if not is_finished(job):
            return False
        check_event(job_event(job))
        return PokeReturnValue(is_done=True, xcom_value=job)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        done = self.poke(context)
        if done:
            return done.xcom_value
        deadline = time.time() + self.timeout if self.timeout else None
        self.defer_until_finished(self.fine_tune_id, deadline, self.progress.last_event_id)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.finished_job(event)

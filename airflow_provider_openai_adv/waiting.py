"""The Airflow side of the wait engine, shared by every operator and sensor that waits on a job.

A wait runs in the worker (the engine's sync loop), in the triggerer (deferred, through
:class:`~airflow_provider_openai_adv.triggers.job.OpenAIJobTrigger`) or a poke at a
time; whichever way, it ends in one :class:`~airflow_provider_openai_adv.jobs.events.WaitEvent`
read the same way. A deferred wait is bounded twice: by its own deadline (the earlier of
the wait's timeout and the end of the task's ``execution_timeout``), which the trigger
honours and reports as ``timeout``, and by ``defer(timeout=...)``, Airflow's own backstop
should the triggerer not run the trigger at all.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import conf

from airflow_provider_openai_adv.jobs.engine import WaitPolicy, Watch, check_positive, wait

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.jobs.events import WaitEvent
    from airflow_provider_openai_adv.jobs.kinds import JobKind

DEFER_TIMEOUT_MARGIN = 60.0  # seconds Airflow's backstop leaves the trigger to report its own timeout
DEFER_SETTLE = 15.0  # seconds a deferred wait polls nothing: see OpenAIJobTrigger's ``not_before``


def default_deferrable() -> bool:
    return conf.getboolean("operators", "default_deferrable", fallback=False)


class JobWaiter:
    """Waiting on one job of :meth:`job_kind`, for an operator or a sensor.

    Needs ``hook``, ``conn_id``, ``poll_interval`` and ``transient_error_grace``, and
    Airflow's ``log``, ``defer`` and ``execution_timeout``. ``clock`` and ``sleep`` are
    what the wait in the worker reads the time with and pauses with (tests replace them);
    ``defer_settle`` is how long a deferred wait polls nothing, so that a job ending at once
    does not fire its trigger inside Airflow's race window (the trigger's ``not_before``).
    """

    poll_interval: float
    transient_error_grace: float
    defer_settle = DEFER_SETTLE
    clock = staticmethod(time.time)
    sleep = staticmethod(time.sleep)

    def job_kind(self) -> JobKind:
        raise NotImplementedError

    def check_wait_settings(self, wait_timeout: float | None = None) -> None:
        """Refuse bad wait settings before anything is created or read."""
        check_positive("poll_interval", self.poll_interval)
        check_positive("transient_error_grace", self.transient_error_grace, allow_zero=True)
        if wait_timeout is not None:
            check_positive("wait_timeout", wait_timeout)

    def wait_deadline(self, wait_timeout: float | None, context: Context) -> float | None:
        """When waiting must end: ``wait_timeout`` from now, or the end of the task's
        ``execution_timeout``, whichever comes first; ``None`` for neither."""
        deadlines = [self.clock() + wait_timeout] if wait_timeout else []
        started = getattr(context.get("ti"), "start_date", None)
        timeout = getattr(self, "execution_timeout", None)
        if started is not None and timeout:
            deadlines.append(started.timestamp() + timeout.total_seconds())
        return min(deadlines) if deadlines else None

    def watch(self, job_id: str, deadline: float | None, last_event_id: str | None = None) -> Watch:
        policy = WaitPolicy(self.poll_interval, deadline, self.transient_error_grace)
        return Watch(self.job_kind(), job_id, policy, self.log, last_event_id=last_event_id, clock=self.clock)

    def wait_in_worker(self, job_id: str, deadline: float | None) -> WaitEvent:
        """Poll from the worker until the job ends, the deadline passes or polling fails for good."""
        return wait(self.watch(job_id, deadline), self.hook.client, sleep=self.sleep)

    def defer_wait(self, job_id: str, deadline: float | None, last_event_id: str | None = None) -> None:
        """Hand the wait to the triggerer; ``execute_complete`` resumes the task with its event."""
        from airflow_provider_openai_adv.triggers.job import OpenAIJobTrigger

        trigger = OpenAIJobTrigger(
            kind=self.job_kind().name,
            job_id=job_id,
            conn_id=self.conn_id,
            poll_interval=self.poll_interval,
            deadline=deadline,
            transient_error_grace=self.transient_error_grace,
            last_event_id=last_event_id,
            not_before=self.clock() + self.defer_settle,
        )
        backstop = None if deadline is None else timedelta(seconds=deadline - self.clock() + DEFER_TIMEOUT_MARGIN)
        self.defer(trigger=trigger, method_name="execute_complete", timeout=backstop)

    @staticmethod
    def event_of(payload: Any) -> WaitEvent:
        """The trigger's event, checked (a malformed payload is an ``error`` outcome)."""
        from airflow_provider_openai_adv.jobs.events import WaitEvent

        return WaitEvent.from_payload(payload)

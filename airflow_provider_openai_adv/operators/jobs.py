"""Operators that create a long-running job and, if asked, wait for it: once, bounded, cancellable.

What a fine-tune needs here, a batch, an upload or an eval run will need the same way:

* **never twice** — the job is tagged with the task instance (``reattach_key``), so a
  retried task finds the job it already paid for and waits on it;
* **waiting** — in the worker, or deferred to the triggerer, on the one wait engine;
  only success passes; the job's failure, cancellation or expiry fails the task with
  OpenAI's words;
* **bounded** — ``wait_timeout`` and the task's ``execution_timeout`` end the wait, and
  the job is then cancelled unless ``cancel_on_timeout=False``; the error says which;
* **killed** — a task killed while waiting in the worker cancels the job it started.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.jobs.engine import DEFAULT_GRACE
from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator
from airflow_provider_openai_adv.waiting import JobWaiter, default_deferrable

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.jobs.events import WaitEvent
    from airflow_provider_openai_adv.jobs.kinds import JobKind

TAG_LENGTH = 512  # a metadata value holds at most 512 characters


class JobWaitOperator(JobWaiter, OpenAIAdvBaseOperator):
    """An operator that waits on a job it started: in the worker or deferred, bounded,
    cancelled on timeout or kill. Subclasses start the job and call :meth:`wait_for`.

    :param deferrable: wait in the triggerer, holding no worker slot (default
        ``[operators] default_deferrable``).
    :param poll_interval: seconds between polls.
    :param wait_timeout: seconds to wait at most; ``None``: no bound but the task's own
        ``execution_timeout``.
    :param transient_error_grace: seconds of failing polls in a row (server unreachable,
        5xx) ridden out before the wait fails.
    :param cancel_on_timeout: cancel the job when the wait times out.
    :param cancel_on_kill: cancel the job when the task waiting in the worker is killed.
    """

    def __init__(
        self,
        *,
        deferrable: bool = default_deferrable(),
        poll_interval: float = 60.0,
        wait_timeout: float | None = None,
        transient_error_grace: float = DEFAULT_GRACE,
        cancel_on_timeout: bool = True,
        cancel_on_kill: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_id: str | None = None

    def job_kind(self) -> JobKind:
        raise NotImplementedError

    def wait_for(self, job_id: str, context: Context) -> Any:
        """Wait until the job ends: deferred (the task resumes in ``execute_complete``) or here."""
        self.job_id = job_id
        deadline = self.wait_deadline(self.wait_timeout, context)
        if self.deferrable:
            self.defer_wait(job_id, deadline)
        return self.finish(self.wait_in_worker(job_id, deadline), context)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        return self.finish(self.event_of(event), context)

    def finish(self, event: WaitEvent, context: Context) -> Any:
        """The job if it succeeded; for a timeout, cancel it (unless told not to) and fail."""
        from airflow_provider_openai_adv.jobs.events import JobWaitFailed, Outcome

        self.job_id = event.job_id
        if event.outcome is Outcome.TIMEOUT:
            message = event.message + (
                "; the job was cancelled" if self._cancel(self.cancel_on_timeout) else
                "; the job was left running (cancel_on_timeout=False)"
            )  # fmt: skip
            raise JobWaitFailed(message, outcome=event.outcome, job_id=event.job_id, kind=event.kind)
        return self.succeeded(event.result(), context)

    def succeeded(self, job: dict[str, Any], context: Context) -> Any:
        """What a finished job gives the task: the job itself, to XCom."""
        return job

    def on_kill(self) -> None:
        if self._cancel(self.cancel_on_kill):
            self.log.info("Cancelled %s %s as the task was killed", self.job_kind().noun, self.job_id)

    def _cancel(self, wanted: bool) -> bool:
        """Cancel the job if ``wanted`` and it is still running; whether it was cancelled."""
        kind = self.job_kind()
        if not (wanted and self.job_id and kind.cancel):
            return False
        ids = kind.ids(self.job_id)
        if kind.state_of(self.hook.client.get(kind.retrieve, **ids)).is_terminal:
            return False
        self.hook.client.post(kind.cancel, **ids)
        return True


class JobOperator(JobWaitOperator):
    """Create a job with the action's hook method; wait for it when asked.

    :param wait_for_completion: end the task when the job ends (else right after creating it).
    :param reattach: on a retry, wait on the job an earlier try created instead of a new one.
    """

    def __init__(self, *, wait_for_completion: bool = False, reattach: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def execute(self, context: Context) -> Any:
        if self.wait_for_completion:
            self.check_wait_settings(self.wait_timeout)
        arguments = self.api_arguments()
        if self.reattach and not self.hook.legacy:
            arguments["reattach_key"] = task_tag(context)
        job = self.call_api(arguments)
        kind = self.job_kind()
        kind.state_of(job)  # the answer is a job, with an id and a status
        self.job_id = job["id"]
        link = f": {kind.dashboard.format(id=self.job_id)}" if kind.dashboard else ""
        self.log.info("%s %s is %s%s", kind.noun.capitalize(), self.job_id, job["status"], link)
        context["ti"].xcom_push(key=kind.id_name, value=self.job_id)
        if not self.wait_for_completion:
            return job
        return self.wait_for(self.job_id, context)


def task_tag(context: Context) -> str:
    """This task instance, as a value of the job's re-attach metadata key."""
    ti = context["ti"]
    tag = f"{ti.dag_id}/{ti.task_id}/{ti.run_id}/{getattr(ti, 'map_index', -1)}"
    return tag if len(tag) <= TAG_LENGTH else hashlib.sha256(tag.encode()).hexdigest()

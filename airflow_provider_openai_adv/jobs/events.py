"""How a wait ended: one typed event, fired by the trigger and read by operator and sensor.

A :class:`WaitEvent` travels as a trigger event's payload (primitives and the job's own
JSON only) and is read back with :meth:`WaitEvent.from_payload`, which trusts nothing:
a payload that is not a well-formed event is itself an error. :meth:`WaitEvent.result`
accepts only success and raises :class:`JobWaitFailed`, naming why, for anything else —
a cancelled or expired job is never mistaken for a finished one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from airflow_provider_openai_adv.exceptions import OpenAIAdvError
from airflow_provider_openai_adv.jobs.kinds import JobState


class Outcome(str, Enum):
    """How waiting for a job ended."""

    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    TIMEOUT = "timeout"  # the deadline passed first; the job may still be running
    ERROR = "error"  # the job could not be read (past the grace period), or was not a job

    @classmethod
    def of(cls, state: JobState) -> Outcome:
        return {
            JobState.SUCCEEDED: cls.SUCCESS,
            JobState.FAILED: cls.FAILED,
            JobState.CANCELLED: cls.CANCELLED,
            JobState.EXPIRED: cls.EXPIRED,
        }[state]


class JobWaitFailed(OpenAIAdvError):
    """A job did not succeed: it failed, was cancelled or expired, the wait timed out,
    or the job could not be read."""

    def __init__(self, message: str, *, outcome: Outcome, job_id: str | None = None, kind: str = "") -> None:
        super().__init__(message)
        self.outcome = outcome
        self.job_id = job_id
        self.kind = kind


@dataclass(frozen=True)
class WaitEvent:
    """The end of one wait.

    :param job: the job as last read (present for the job's own outcomes), so the task
        resuming from a trigger needs no request to know it.
    :param last_event_id: the last job event reported, so a later wait reports none twice.
    """

    outcome: Outcome
    kind: str
    job_id: str
    message: str = ""
    job: dict[str, Any] | None = None
    last_event_id: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": self.outcome.value}

    @classmethod
    def from_payload(cls, payload: Any) -> WaitEvent:
        """The event a trigger fired; :class:`JobWaitFailed` (``error``) for anything malformed."""
        if not isinstance(payload, dict):
            raise JobWaitFailed(f"unexpected trigger event: {payload!r}", outcome=Outcome.ERROR)
        try:
            outcome = Outcome(payload.get("outcome"))
        except ValueError:
            raise JobWaitFailed(
                f"unexpected trigger event outcome: {payload.get('outcome')!r}", outcome=Outcome.ERROR
            ) from None
        fields = {name: payload.get(name) for name in ("kind", "job_id", "message", "job", "last_event_id")}
        if not isinstance(fields["job_id"], str) or not isinstance(fields["kind"], str):
            raise JobWaitFailed(f"unexpected trigger event: {payload!r}", outcome=Outcome.ERROR)
        if fields["job"] is not None and not isinstance(fields["job"], dict):
            raise JobWaitFailed(f"unexpected trigger event: {payload!r}", outcome=Outcome.ERROR)
        return cls(outcome=outcome, **{**fields, "message": str(fields["message"] or "")})

    def result(self) -> dict[str, Any]:
        """The finished job when the wait succeeded; :class:`JobWaitFailed` otherwise."""
        if self.outcome is Outcome.SUCCESS and self.job is not None:
            return self.job
        message = self.message or f"job {self.job_id} {self.outcome.value}"
        raise JobWaitFailed(message, outcome=self.outcome, job_id=self.job_id, kind=self.kind)

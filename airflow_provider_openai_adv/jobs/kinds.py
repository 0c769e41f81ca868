"""What the wait engine knows about a kind of job: its endpoints and its statuses.

A new kind of long-running job is one :class:`JobKind` value — endpoints as path
templates, a status map, and how a job and its events read in a log — registered in
:data:`KIND_MODULES`; the engine, the trigger, the sensor and the operators' waiting
then work for it unchanged.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from airflow_provider_openai_adv.exceptions import InvalidResponseError


class JobState(str, Enum):
    """Where a job stands, whatever its kind calls it."""

    RUNNING = "running"  # not finished yet (also any status this version does not know)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self is not JobState.RUNNING


def _status_line(kind: JobKind, job: dict[str, Any]) -> str:
    return f"{kind.noun} {job.get('id')} is {job.get('status')}"


def _event_line(event: dict[str, Any]) -> str:
    return str(event.get("message") or event.get("type") or "event")


def _failure_line(kind: JobKind, job: dict[str, Any]) -> str:
    """Why a job did not succeed, in OpenAI's words when it gave any (``error.message``)."""
    error = job.get("error")
    details = error.get("message") if isinstance(error, dict) else None
    text = f"{kind.noun} {job.get('id')} {job.get('status', 'unknown')}"
    return f"{text}: {details}" if details else text


@dataclass(frozen=True)
class JobKind:
    """One kind of long-running job.

    :param name: how triggers name it when serialized (``fine_tune``).
    :param noun: how messages name one (``fine-tuning job``).
    :param id_name: the argument that holds a job's id, and the placeholder in the paths.
    :param retrieve: path template of ``GET`` one job.
    :param statuses: the job's ``status`` values that end a wait, and how; any other
        value means it is still running.
    :param cancel: path template of ``POST`` cancel, if the kind can be cancelled.
    :param events: path template of the job's event list, if it has one.
    :param events_newest_first: the list's order; ``events_paginated``: cursor pages.
    :param result_field: the job field a success produces (``fine_tuned_model``).
    :param dashboard: URL template of a job's page (``{id}``), for an extra link.
    :param job_line: the job as a status line (default "<noun> <id> is <status>").
    :param event_line: one of its events as a log line.
    :param failure_line: why a job did not succeed (default: its ``error.message``).
    """

    name: str
    noun: str
    id_name: str
    retrieve: str
    statuses: Mapping[str, JobState]
    cancel: str | None = None
    events: str | None = None
    events_newest_first: bool = True
    events_paginated: bool = True
    result_field: str | None = None
    dashboard: str | None = None
    job_line: Callable[[JobKind, dict[str, Any]], str] = field(default=_status_line, compare=False)
    event_line: Callable[[dict[str, Any]], str] = field(default=_event_line, compare=False)
    failure_line: Callable[[JobKind, dict[str, Any]], str] = field(default=_failure_line, compare=False)

    def describe(self, job: dict[str, Any]) -> str:
        return self.job_line(self, job)

    def describe_event(self, event: dict[str, Any]) -> str:
        return self.event_line(event)

    def ids(self, job_id: str) -> dict[str, str]:
        """The path ids of one job, for the client: ``{"fine_tune_id": job_id}``."""
        return {self.id_name: job_id}

    def state_of(self, job: Any) -> JobState:
        """The state of a job as the API returned it; :class:`InvalidResponseError` when
        the answer is not a job (no id, no status) — a server's answer is not trusted."""
        if not isinstance(job, dict) or not isinstance(job.get("id"), str):
            raise InvalidResponseError(f"expected a {self.noun}, got {_shape(job)}")
        status = job.get("status")
        if not isinstance(status, str):
            raise InvalidResponseError(f"{self.noun} {job['id']} has no status: {_shape(job)}")
        return self.statuses.get(status, JobState.RUNNING)

    def failure_reason(self, job: dict[str, Any]) -> str:
        """Why a job did not succeed, in OpenAI's words when it gave any."""
        return self.failure_line(self, job)


def _shape(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


# Where each kind is defined; loaded when a trigger asks for a kind by name.
KIND_MODULES = {
    "fine_tune": "airflow_provider_openai_adv.jobs.fine_tuning",
    "legacy_fine_tune": "airflow_provider_openai_adv.jobs.fine_tuning",
    "batch": "airflow_provider_openai_adv.jobs.batches",
    "response": "airflow_provider_openai_adv.jobs.responses",
}


def kind_named(name: str) -> JobKind:
    """The kind a serialized trigger names."""
    module = KIND_MODULES.get(name)
    if module is None:
        raise ValueError(f"unknown job kind {name!r}; known: {', '.join(sorted(KIND_MODULES))}")
    return importlib.import_module(module).KINDS[name]

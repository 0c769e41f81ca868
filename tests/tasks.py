"""Running one operator the way a worker does, without a DAG run: the fast test tier.

``dag.test()`` schedules a whole DAG run on the metadata database; for most operator
tests that adds seconds and proves nothing the operator's own behaviour does not. Here
a task is rendered (Jinja, with a task instance that records its XComs) and executed
in-process; when it defers, its trigger runs inline and the task resumes with the
event, as the triggerer and the worker would do. Keep ``dag.test()`` for what only a
real run shows: Airflow's retries, mapped tasks, assets, rendered fields in the DB.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest


@dataclass
class RecordingTaskInstance:
    """What an operator reads of its task instance, and the XComs it pushes."""

    task_id: str
    dag_id: str = "tier_dag"
    run_id: str = "manual__2024-01-01T00:00:00+00:00"
    map_index: int = -1
    try_number: int = 1
    start_date: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    xcoms: dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value

    def xcom_pull(self, task_ids: str | None = None, key: str = "return_value", **_: Any) -> Any:
        """This task's own XComs (what a task reads back of itself when it resumes)."""
        assert task_ids in (None, self.task_id), "the fast tier runs one task: it can only read its own XComs"
        return self.xcoms.get(key)


@dataclass
class TaskRun:
    value: Any
    ti: RecordingTaskInstance
    deferrals: int = 0

    @property
    def xcoms(self) -> dict[str, Any]:
        return self.ti.xcoms


class StateStore(dict):
    """What a task sees of Airflow 3.3's task state store (``context["task_state_store"]``)."""

    def set(self, key: str, value: Any, **_: Any) -> None:
        self[key] = value

    def delete(self, key: str) -> None:
        self.pop(key, None)


def run_task(
    operator: Any, *, map_index: int = -1, start_date: datetime | None = None, state_store: StateStore | None = None
) -> TaskRun:
    """Render and execute ``operator``; run each trigger it defers to inline and resume.
    ``state_store``: the task state store its tries share (none, as before Airflow 3.3, if not given)."""
    from airflow.sdk.bases.operator import ExecutorSafeguard
    from airflow.sdk.exceptions import TaskDeferred

    ti = RecordingTaskInstance(operator.task_id, map_index=map_index)
    if start_date is not None:
        ti.start_date = start_date
    context = _context(ti)
    if state_store is not None:
        context["task_state_store"] = state_store
    operator.render_template_fields(context)
    was, ExecutorSafeguard.test_mode = ExecutorSafeguard.test_mode, True
    try:
        deferrals = 0
        try:
            return TaskRun(operator.execute(context), ti)
        except TaskDeferred as deferred:
            while True:
                deferrals += 1
                event = asyncio.run(_first_event(deferred.trigger))
                try:
                    resume_with = {**(deferred.kwargs or {}), "event": event}  # as Airflow resumes it
                    value = operator.resume_execution(deferred.method_name, resume_with, context)
                    return TaskRun(value, ti, deferrals)
                except TaskDeferred as again:
                    deferred = again
    finally:
        ExecutorSafeguard.test_mode = was


def _context(ti: RecordingTaskInstance) -> dict[str, Any]:
    from airflow.sdk.execution_time.context import OutletEventAccessors

    return {
        "ti": ti,
        "task_instance": ti,
        "run_id": ti.run_id,
        "ds": "2024-01-01",
        "params": {},
        "outlet_events": OutletEventAccessors(),
    }


async def _first_event(trigger: Any) -> Any:
    async for event in trigger.run():
        return event.payload
    raise AssertionError(f"{trigger!r} ended without an event")


@pytest.fixture
def task_run(openai_emulator):
    """``task_run(operator)``: the operator executed against a fresh emulator."""
    return run_task

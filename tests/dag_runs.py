"""Running tasks the way Airflow does: in a DAG, with templating and XCom, via ``dag.test()``.

``dag.test()`` runs only DAGs known to the metadata database, so each test DAG is
written there first (``register``); the tasks then run in-process against the emulator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest


@dataclass
class Outcome:
    state: str
    task_states: dict[tuple[str, int], str]
    xcoms: dict[tuple[str, int, str], Any]
    tries: dict[tuple[str, int], int] = field(default_factory=dict)  # how many times each task ran

    def value(self, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        return self.xcoms[(task_id, map_index, key)]

    def mapped_values(self, task_id: str, key: str = "return_value") -> list[Any]:
        found = sorted(
            (index, value) for (task, index, name), value in self.xcoms.items() if task == task_id and name == key
        )
        return [value for _, value in found]


def register(dag) -> None:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = DagBag(dag_folder="/nonexistent", collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)


@pytest.fixture
def make_dag(request):
    """A fresh DAG for this test: ``with make_dag() as dag: Operator(task_id=...)``."""
    from airflow.sdk import DAG

    counter = iter(range(1000))

    def make(**kwargs: Any):
        name = re.sub(r"\W+", "_", request.node.name)[:200]
        return DAG(f"{name}_{next(counter)}", schedule=None, start_date=datetime(2024, 1, 1), **kwargs)

    return make


@pytest.fixture
def run_dag(airflow_db, openai_emulator):
    """Run a DAG with ``dag.test()``; return its state, task states and XComs."""

    def run(dag) -> Outcome:
        from airflow.models.taskinstance import TaskInstance
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        register(dag)
        dag_run = dag.test()
        with create_session() as session:
            instances = session.query(TaskInstance).filter_by(dag_id=dag.dag_id, run_id=dag_run.run_id).all()
            rows = session.query(XComModel).filter_by(dag_id=dag.dag_id, run_id=dag_run.run_id).all()
            return Outcome(
                state=str(dag_run.state),
                task_states={(ti.task_id, ti.map_index): str(ti.state) for ti in instances},
                tries={(ti.task_id, ti.map_index): ti.try_number for ti in instances},
                xcoms={(row.task_id, row.map_index, row.key): XComModel.deserialize_value(row) for row in rows},
            )

    return run


def names_argument(name: str) -> str:
    """A regex for an error message that starts with the argument's name."""
    return rf"^{re.escape(name)}(?!\w)"


@contextmanager
def refused(named: str | None = None, *, match: str | None = None) -> Iterator[Any]:
    """The task fails at once, for good (``AirflowFailException``: Airflow will not retry
    it), because of an ``OpenAIValidationError`` naming the argument ``named`` (or whose
    message matches ``match``)."""
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_provider_openai_adv.exceptions import OpenAIValidationError

    with pytest.raises(AirflowFailException, match=match or names_argument(named)) as caught:
        yield caught
    assert isinstance(caught.value.__cause__, OpenAIValidationError), repr(caught.value.__cause__)

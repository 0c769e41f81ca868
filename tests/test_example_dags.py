"""The example DAGs: the folder imports cleanly, and each DAG runs green on the emulator."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLE_DAGS


@pytest.fixture(scope="module")
def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(EXAMPLE_DAGS))


def test_the_dag_folder_imports_without_errors(dag_bag):
    assert dag_bag.import_errors == {}
    assert "openai_adv_quickstart" in dag_bag.dags


def test_the_quickstart_dag_runs_green(airflow_db, openai_emulator, dag_bag):
    from airflow.utils.state import DagRunState

    dag = dag_bag.get_dag("openai_adv_quickstart")
    run = dag.test()
    assert run.state == DagRunState.SUCCESS
    paths = [entry.path for entry in openai_emulator.requests]
    assert paths.count("/v1/models") == 1
    assert "/v1/chat/completions" in paths and "/v1/embeddings" in paths
    assert openai_emulator.state.files == {}  # the pipeline cleaned up after itself

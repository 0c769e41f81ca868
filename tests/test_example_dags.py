"""The example DAGs: the folder imports cleanly, and each DAG runs green on the emulator."""

from __future__ import annotations

import os

import pytest

from tests.conftest import EXAMPLE_DAGS

os.environ["OPENAI_ADV_POLL_SECONDS"] = "0.3"  # read when the pipeline DAG is parsed: poll the emulator often


@pytest.fixture(scope="module")
def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(EXAMPLE_DAGS))


def test_the_dag_folder_imports_without_errors(dag_bag):
    assert dag_bag.import_errors == {}
    assert set(dag_bag.dags) == {
        "openai_adv_quickstart", "openai_adv_actions", "openai_adv_fine_tune_pipeline", "openai_adv_batch_embeddings",
        "openai_adv_ticket_triage",
    }  # fmt: skip


def test_the_quickstart_dag_runs_green(airflow_db, openai_emulator, dag_bag):
    from airflow.utils.state import DagRunState

    dag = dag_bag.get_dag("openai_adv_quickstart")
    run = dag.test()
    assert run.state == DagRunState.SUCCESS
    paths = [entry.path for entry in openai_emulator.requests]
    assert paths.count("/v1/models") == 1
    assert "/v1/chat/completions" in paths and "/v1/embeddings" in paths
    assert openai_emulator.state.files == {}  # the pipeline cleaned up after itself


def test_the_actions_tour_runs_green_and_keeps_bulk_out_of_xcom(airflow_db, openai_emulator, dag_bag, tmp_path):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    dag = dag_bag.get_dag("openai_adv_actions")
    run = dag.test(run_conf={"output_dir": str(tmp_path)})
    assert run.state == DagRunState.SUCCESS
    families = {entry.path.split("/")[2] for entry in openai_emulator.requests if entry.path.startswith("/v1/")}
    assert families >= {"models", "chat", "completions", "embeddings", "moderations", "files", "images", "audio"}
    written = sorted(path.name for path in tmp_path.rglob("*") if path.is_file())
    assert written == ["draw-0.png", "notes-copy.jsonl", "notes.jsonl", "speech.wav", "transcribe.json", "vary-0.png"]
    with create_session() as session:
        sizes = [len(XComModel.serialize_value(XComModel.deserialize_value(row))) for row in
                 session.query(XComModel).filter_by(dag_id=dag.dag_id, run_id=run.run_id)]  # fmt: skip
    assert max(sizes) < 20_000  # paths and metadata only
    assert openai_emulator.state.files == {}  # the uploaded file was deleted


def test_the_fine_tune_pipeline_promotes_a_model_that_beats_the_base(
    airflow_db, openai_emulator, dag_bag, tmp_path, capfd
):
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    dag = dag_bag.get_dag("openai_adv_fine_tune_pipeline")
    run = dag.test(run_conf={"output_dir": str(tmp_path)})
    assert run.state == DagRunState.SUCCESS
    with create_session() as session:
        states = {ti.task_id: str(ti.state) for ti in session.query(TaskInstance).filter_by(run_id=run.run_id)}
        events = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.uri == "openai://promoted-models/ticket-classifier")
        )
        promoted = [event.extra for event in events]
    assert states["promote"] == "success" and states["discard_model"] == "skipped"
    assert states["delete_training_file"] == states["delete_validation_file"] == "success"
    (model,) = [m for m in openai_emulator.state.models if m.startswith("ft:gpt-4o-mini-2024-07-18:")]
    assert promoted == [{"model": model, "fine_tune_id": promoted[0]["fine_tune_id"]}]
    assert openai_emulator.state.files.keys() == {
        f.id for f in openai_emulator.state.files.values() if f.purpose == "fine-tune-results"
    }
    output = capfd.readouterr().out
    assert f"* {model}" in output  # the table marks the fine-tuned model as the winner
    assert "was promoted" in output
    report = next(tmp_path.rglob("evaluate.json"))
    assert report.exists()


def test_the_batch_embeddings_dag_joins_a_vector_to_every_product(airflow_db, openai_emulator, dag_bag, tmp_path):
    import json

    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    dag = dag_bag.get_dag("openai_adv_batch_embeddings")
    run = dag.test(run_conf={"output_dir": str(tmp_path)})
    assert run.state == DagRunState.SUCCESS
    batches = [entry for entry in openai_emulator.requests if entry.method == "POST" and entry.path == "/v1/batches"]
    assert len(batches) == 1 and batches[0].json()["endpoint"] == "/v1/embeddings"
    (output,) = tmp_path.rglob("products.jsonl")
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["sku"] for row in rows] == [f"P{n:02d}" for n in range(1, 21)]
    assert all(row["status"] == "succeeded" and row["response"]["data"][0]["embedding"] for row in rows)
    with create_session() as session:
        (related,) = [
            XComModel.deserialize_value(row)
            for row in session.query(XComModel).filter_by(
                dag_id=dag.dag_id, run_id=run.run_id, task_id="related_products", key="return_value"
            )
        ]
    assert len(related) == 20 and all(len(nearest) == 2 for nearest in related.values())


def test_the_ticket_triage_dag_types_every_ticket_and_branches_on_the_urgent_ones(
    airflow_db, openai_emulator, dag_bag, tmp_path
):
    import json

    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    from tests.conftest import EXAMPLE_DAGS

    dag = dag_bag.get_dag("openai_adv_ticket_triage")
    run = dag.test(run_conf={"output_dir": str(tmp_path)})
    assert run.state == DagRunState.SUCCESS
    label_model = dag_bag.dags["openai_adv_ticket_triage"].get_task("classify").text_format
    (output,) = tmp_path.rglob("labels.jsonl")
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    tickets = [json.loads(line)["id"] for line in (EXAMPLE_DAGS / "data" / "support_tickets.jsonl").open()]
    assert [row["id"] for row in rows] == tickets
    assert all(row["status"] == "succeeded" and label_model.model_validate(row["parsed"]) for row in rows)
    sent = [entry.json() for entry in openai_emulator.requests if entry.path == "/v1/responses"]
    assert sent[0]["text"]["format"]["name"] == "TicketLabel" and sent[0]["text"]["format"]["strict"] is True
    urgent = any(row["parsed"]["urgency"] == "high" for row in rows)
    with create_session() as session:
        states = {ti.task_id: str(ti.state) for ti in session.query(TaskInstance).filter_by(run_id=run.run_id)}
    assert (states["escalate"], states["digest"]) == (("success", "skipped") if urgent else ("skipped", "success"))
    assert len(sent) == len(tickets) + int(urgent)  # one request per ticket, and the note when escalated

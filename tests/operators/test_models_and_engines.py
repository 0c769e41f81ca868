"""Models and engines operators, through Airflow, against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.operators import (
    OpenAIDeleteFineTunedModelOperator,
    OpenAIGetModelsOperator,
    OpenAIListEnginesOperator,
    OpenAIRetrieveEngineOperator,
)
from tests.dag_runs import names_argument

FINE_TUNED = "ft:gpt-4o-mini:emulator::abc12345"


def test_get_models_returns_the_list(make_dag, run_dag, openai_emulator):
    with make_dag() as dag:
        OpenAIGetModelsOperator(task_id="models")
    models = run_dag(dag).value("models")
    assert openai_emulator.requests[-1].path == "/v1/models"
    assert {"id": "gpt-4o-mini", "object": "model", "created": 1700000000, "owned_by": "system"} in models


def test_delete_fine_tuned_model(make_dag, run_dag, openai_emulator):
    openai_emulator.state.models[FINE_TUNED] = {
        "id": FINE_TUNED,
        "object": "model",
        "created": 1,
        "owned_by": "emulator",
    }
    with make_dag() as dag:
        OpenAIDeleteFineTunedModelOperator(task_id="delete", model="{{ params.model }}", params={"model": FINE_TUNED})
    result = run_dag(dag).value("delete")
    assert openai_emulator.requests[-1].method == "DELETE"
    assert openai_emulator.requests[-1].path == f"/v1/models/{FINE_TUNED}"
    assert result == {"id": FINE_TUNED, "object": "model", "deleted": True}
    assert FINE_TUNED not in openai_emulator.state.models


def test_list_engines_today_reads_models_in_the_engine_shape(make_dag, run_dag, openai_emulator):
    with make_dag() as dag:
        OpenAIListEnginesOperator(task_id="engines")
    engines = run_dag(dag).value("engines")
    assert [entry.path for entry in openai_emulator.requests] == ["/v1/models"]
    assert {"id": "gpt-4o-mini", "object": "engine", "owner": "system", "ready": True, "created": 1700000000} in engines


def test_retrieve_engine_today_and_legacy(make_dag, run_dag, openai_emulator):
    with make_dag() as dag:
        OpenAIRetrieveEngineOperator(task_id="today", engine_id="gpt-4o-mini")
        OpenAIRetrieveEngineOperator(task_id="legacy", engine_id="gpt-4o-mini", legacy=True)
    outcome = run_dag(dag)
    assert sorted(entry.path for entry in openai_emulator.requests) == [
        "/v1/engines/gpt-4o-mini",
        "/v1/models/gpt-4o-mini",
    ]
    assert outcome.value("today")["object"] == outcome.value("legacy")["object"] == "engine"
    assert outcome.value("today")["id"] == outcome.value("legacy")["id"] == "gpt-4o-mini"


def test_list_engines_legacy(make_dag, run_dag, openai_emulator):
    with make_dag() as dag:
        OpenAIListEnginesOperator(task_id="engines", legacy=True)
    engines = run_dag(dag).value("engines")
    assert openai_emulator.requests[-1].path == "/v1/engines"
    assert all(engine["object"] == "engine" for engine in engines) and engines


@pytest.mark.parametrize(
    ("operator", "arguments", "named"),
    [
        (OpenAIDeleteFineTunedModelOperator, {"model": " "}, "model"),
        (OpenAIRetrieveEngineOperator, {"engine_id": ""}, "engine_id"),
    ],
)
def test_bad_input_fails_naming_the_argument_before_any_request(openai_emulator, operator, arguments, named):
    with pytest.raises(OpenAIValidationError, match=names_argument(named)):
        operator(task_id="bad", **arguments).execute(context={})
    assert openai_emulator.requests == []

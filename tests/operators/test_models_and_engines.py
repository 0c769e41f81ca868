"""Models and engines operators, executed as a worker would, against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.operators import (
    OpenAIDeleteFineTunedModelOperator,
    OpenAIGetModelsOperator,
    OpenAIListEnginesOperator,
    OpenAIRetrieveEngineOperator,
)
from tests.dag_runs import refused
from tests.tasks import run_task

FINE_TUNED = "ft:gpt-4o-mini:emulator::abc12345"


def test_get_models_returns_the_list(openai_emulator):
    models = run_task(OpenAIGetModelsOperator(task_id="models")).value
    assert openai_emulator.requests[-1].path == "/v1/models"
    assert {"id": "gpt-4o-mini", "object": "model", "created": 1700000000, "owned_by": "system"} in models


def test_delete_fine_tuned_model(openai_emulator):
    openai_emulator.state.models[FINE_TUNED] = {
        "id": FINE_TUNED,
        "object": "model",
        "created": 1,
        "owned_by": "emulator",
    }
    task = OpenAIDeleteFineTunedModelOperator(task_id="delete", model="ft:gpt-4o-mini:{{ 'emulator' }}::abc12345")
    result = run_task(task).value
    assert openai_emulator.requests[-1].method == "DELETE"
    assert openai_emulator.requests[-1].path == f"/v1/models/{FINE_TUNED}"
    assert result == {"id": FINE_TUNED, "object": "model", "deleted": True}
    assert FINE_TUNED not in openai_emulator.state.models


def test_list_engines_today_reads_models_in_the_engine_shape(openai_emulator):
    engines = run_task(OpenAIListEnginesOperator(task_id="engines")).value
    assert [entry.path for entry in openai_emulator.requests] == ["/v1/models"]
    assert {"id": "gpt-4o-mini", "object": "engine", "owner": "system", "ready": True, "created": 1700000000} in engines


def test_retrieve_engine_today_and_legacy(openai_emulator):
    today = run_task(OpenAIRetrieveEngineOperator(task_id="today", engine_id="gpt-4o-mini")).value
    legacy = run_task(OpenAIRetrieveEngineOperator(task_id="legacy", engine_id="gpt-4o-mini", legacy=True)).value
    assert [entry.path for entry in openai_emulator.requests] == ["/v1/models/gpt-4o-mini", "/v1/engines/gpt-4o-mini"]
    assert today["object"] == legacy["object"] == "engine"
    assert today["id"] == legacy["id"] == "gpt-4o-mini"


def test_list_engines_legacy(openai_emulator):
    engines = run_task(OpenAIListEnginesOperator(task_id="engines", legacy=True)).value
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
    with refused(named):
        run_task(operator(task_id="bad", **arguments))
    assert openai_emulator.requests == []

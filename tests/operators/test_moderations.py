"""Moderation operator — executed as a worker would, against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.operators import OpenAICreateModerationOperator
from tests.dag_runs import refused
from tests.tasks import run_task


def test_moderation_flags_per_input(openai_emulator):
    result = run_task(
        OpenAICreateModerationOperator(
            task_id="moderate", input=["I will kill you", "What a lovely garden"], model="omni-moderation-latest"
        )
    ).value
    assert openai_emulator.requests[-1].json() == {
        "input": ["I will kill you", "What a lovely garden"], "model": "omni-moderation-latest"
    }  # fmt: skip
    assert [entry["flagged"] for entry in result["results"]] == [True, False]


def test_without_a_model_the_apis_default_applies(openai_emulator):
    run_task(OpenAICreateModerationOperator(task_id="moderate", input="{{ ds }}"))
    assert openai_emulator.requests[-1].json() == {"input": "2024-01-01"}  # templated; no "model": null


@pytest.mark.parametrize("bad_input", ["", [], ["fine", " "]])
def test_empty_input_is_refused_before_any_request(openai_emulator, bad_input):
    with refused("input"):
        run_task(OpenAICreateModerationOperator(task_id="bad", input=bad_input))
    assert openai_emulator.requests == []

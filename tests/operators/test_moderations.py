"""Moderation operator — through Airflow, against the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.operators import OpenAICreateModerationOperator


def test_moderation_flags_per_input(make_dag, run_dag, openai_emulator):
    with make_dag() as dag:
        OpenAICreateModerationOperator(
            task_id="moderate", input=["I will kill you", "What a lovely garden"], model="omni-moderation-latest"
        )
    result = run_dag(dag).value("moderate")
    assert openai_emulator.requests[-1].json() == {
        "input": ["I will kill you", "What a lovely garden"], "model": "omni-moderation-latest"
    }  # fmt: skip
    assert [entry["flagged"] for entry in result["results"]] == [True, False]


@pytest.mark.parametrize("bad_input", ["", [], ["fine", " "]])
def test_empty_input_is_refused_before_any_request(openai_emulator, bad_input):
    with pytest.raises(OpenAIValidationError, match=r"^input"):
        OpenAICreateModerationOperator(task_id="bad", input=bad_input).execute(context={})
    assert openai_emulator.requests == []

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


def test_text_and_image_parts_are_one_input(openai_emulator):
    parts = [
        {"type": "text", "text": "a picture of the garden"},
        {"type": "image_url", "image_url": {"url": "https://example.com/blood-stained.png"}},
    ]
    result = run_task(
        OpenAICreateModerationOperator(task_id="moderate", input=parts, model="omni-moderation-2024-09-26")
    ).value
    [verdict] = result["results"]
    assert verdict["categories"]["violence/graphic"]  # the emulator judges an image by the words of its URL
    assert verdict["category_applied_input_types"]["violence/graphic"] == ["text", "image"]


@pytest.mark.parametrize(
    ("bad_input", "model", "named"),
    [
        ([{"type": "image_url", "image_url": {"url": "https://x/y.png"}}], "text-moderation-latest", "input[0]"),
        ([{"type": "image_url", "image_url": {}}], None, "input[0].image_url.url"),
        ([{"type": "text"}], None, "input[0].text"),
        ([{"type": "audio", "audio": "..."}], None, "input[0].type"),
        ([{"text": "no type"}], None, "input[0].type"),
    ],
)
def test_bad_parts_are_refused_before_any_request(openai_emulator, bad_input, model, named):
    with refused(named):
        run_task(OpenAICreateModerationOperator(task_id="bad", input=bad_input, model=model))
    assert openai_emulator.requests == []

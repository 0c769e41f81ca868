"""Moderation: check text (and images) against OpenAI's usage policies."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator


class OpenAICreateModerationOperator(OpenAIAdvBaseOperator):
    """Classify ``input`` (``POST /moderations``); XCom holds the results.

    :param input: text, a list of texts, or multi-modal parts (templated).
    :param model: ``omni-moderation-latest`` when not given.
    """

    hook_method = OpenAIAdvHook.create_moderation
    templated = ("model", "input")

    def __init__(self, *, input: Any, model: str | None = None, **kwargs: Any) -> None:  # noqa: A002
        super().__init__(**kwargs)

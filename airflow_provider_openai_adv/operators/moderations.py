"""Moderation: check text (and images) against OpenAI's usage policies."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator


class OpenAICreateModerationOperator(OpenAIAdvBaseOperator):
    """Classify ``input`` (``POST /moderations``); XCom holds the results.

    :param input: text, a list of texts, or a list of parts (templated):
        ``{"type": "text", "text": ...}`` and ``{"type": "image_url", "image_url": {"url": ...}}``.
    :param model: ``omni-moderation-latest`` when not given, or ``omni-moderation-2024-09-26``;
        the legacy ``text-moderation-latest`` and ``text-moderation-stable`` take text only.
    """

    hook_method = OpenAIAdvHook.create_moderation
    templated = ("model", "input")

    def __init__(self, *, input: Any, model: str | None = None, **kwargs: Any) -> None:  # noqa: A002
        super().__init__(**kwargs)

"""Models: list them, delete a fine-tuned one."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator


class OpenAIGetModelsOperator(OpenAIAdvBaseOperator):
    """List the models the key can use (``GET /models``); XCom holds the list."""

    hook_method = OpenAIAdvHook.get_models


class OpenAIDeleteFineTunedModelOperator(OpenAIAdvBaseOperator):
    """Delete a fine-tuned model you own (``DELETE /models/{model}``).

    :param model: the fine-tuned model's id, e.g. ``ft:gpt-4o-mini:org::abc123`` (templated).
    """

    hook_method = OpenAIAdvHook.delete_fine_tuned_model
    templated = ("model",)

    def __init__(self, *, model: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)

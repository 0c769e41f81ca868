"""Engines, as the 2023 API called models."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import RemovedActionOperator


class OpenAIListEnginesOperator(RemovedActionOperator):
    """List engines: today the models (``GET /models``) in the engine shape; with
    ``legacy=True``, ``GET /engines``. XCom holds the list."""

    hook_method = OpenAIAdvHook.list_engines

    def __init__(self, *, legacy: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class OpenAIRetrieveEngineOperator(RemovedActionOperator):
    """One engine: today ``GET /models/{id}`` in the engine shape; legacy ``GET /engines/{id}``."""

    hook_method = OpenAIAdvHook.retrieve_engine
    templated = ("engine_id",)

    def __init__(self, *, engine_id: str, legacy: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)

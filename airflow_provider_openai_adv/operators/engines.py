"""Engines, as the 2023 API called models."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator, api_arguments


class OpenAIListEnginesOperator(OpenAIAdvBaseOperator):
    """List engines: today the models (``GET /models``) in the engine shape; with
    ``legacy=True``, ``GET /engines``. XCom holds the list."""

    hook_method = "list_engines"

    def __init__(self, *, legacy: bool | None = None, **kwargs: Any) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)


class OpenAIRetrieveEngineOperator(OpenAIAdvBaseOperator):
    """One engine: today ``GET /models/{id}`` in the engine shape; legacy ``GET /engines/{id}``."""

    hook_method = "retrieve_engine"
    templated_params = ("engine_id",)

    def __init__(self, *, engine_id: str, legacy: bool | None = None, **kwargs: Any) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)

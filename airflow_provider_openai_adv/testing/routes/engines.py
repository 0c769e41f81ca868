"""``/v1/engines`` (deprecated in 2022, removed since): the emulator's models as engines."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.testing.http import Request, Response, json_response, not_found
from airflow_provider_openai_adv.testing.routes.common import current_models
from airflow_provider_openai_adv.testing.routing import Route


def _engine(model: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": model["id"],
        "object": "engine",
        "created": model["created"],
        "owner": model["owned_by"],
        "ready": True,
    }


def list_engines(request: Request) -> Response:
    return json_response({"object": "list", "data": [_engine(model) for model in current_models(request).values()]})


def retrieve_engine(request: Request) -> Response:
    model = current_models(request).get(request.path_params["engine_id"])
    if model is None:
        raise not_found("Engine not found")  # OpenAI's words; its answer named no param
    return json_response(_engine(model))


ROUTES = (
    Route("GET", "/engines", list_engines),
    Route("GET", "/engines/{engine_id}", retrieve_engine),
)

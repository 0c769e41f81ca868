"""``/v1/models``: list, retrieve, delete (fine-tuned models only, as on OpenAI)."""

from __future__ import annotations

from airflow_provider_openai_adv.testing.http import APIError, Request, Response, json_response
from airflow_provider_openai_adv.testing.models import ModelStore
from airflow_provider_openai_adv.testing.routes.common import current_models, model_or_404
from airflow_provider_openai_adv.testing.routing import Route


def list_models(request: Request) -> Response:
    return json_response({"object": "list", "data": list(current_models(request).values())})


def retrieve_model(request: Request) -> Response:
    return json_response(model_or_404(request, request.path_params["model"]))


def delete_model(request: Request) -> Response:
    model_id = request.path_params["model"]
    model = model_or_404(request, model_id)
    if not model_id.startswith("ft:"):
        raise APIError(
            403,
            "You have insufficient permissions for this operation: only fine-tuned models can be deleted.",
            code="insufficient_permissions",
        )
    request.state.store(ModelStore).delete(model_id)
    return json_response({"id": model["id"], "object": "model", "deleted": True})


ROUTES = (
    Route("GET", "/models", list_models),
    Route("GET", "/models/{model}", retrieve_model),
    Route("DELETE", "/models/{model}", delete_model),
)

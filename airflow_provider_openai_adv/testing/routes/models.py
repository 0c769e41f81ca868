"""``/v1/models``: list, retrieve, delete (fine-tuned models only, as on OpenAI)."""

from __future__ import annotations

from airflow_provider_openai_adv.testing.http import APIError, Request, Response, json_response
from airflow_provider_openai_adv.testing.routes import ROUTER
from airflow_provider_openai_adv.testing.routes.common import current_models, model_or_404


@ROUTER.route("GET", "/models")
def list_models(request: Request) -> Response:
    return json_response({"object": "list", "data": list(current_models(request).values())})


@ROUTER.route("GET", "/models/{model}")
def retrieve_model(request: Request) -> Response:
    return json_response(model_or_404(request, request.path_params["model"]))


@ROUTER.route("DELETE", "/models/{model}")
def delete_model(request: Request) -> Response:
    model_id = request.path_params["model"]
    model = model_or_404(request, model_id)
    if not model_id.startswith("ft:"):
        raise APIError(
            403,
            "You have insufficient permissions for this operation: only fine-tuned models can be deleted.",
            code="insufficient_permissions",
        )
    with request.state.lock:
        request.state.models.pop(model_id, None)
    return json_response({"id": model["id"], "object": "model", "deleted": True})

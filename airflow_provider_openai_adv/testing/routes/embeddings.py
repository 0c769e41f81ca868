"""``/v1/embeddings``: deterministic vectors, ``dimensions`` and ``encoding_format``.

Only embedding models are served: another kind of model is OpenAI's 403 (its status and
words, with neither ``param`` nor ``code``).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.http import APIError, Request, Response, invalid, json_response
from airflow_provider_openai_adv.testing.routes.common import check_choice, model_of_kind, require
from airflow_provider_openai_adv.testing.routing import Route
from airflow_provider_openai_adv.validation import EMBEDDING_DIMENSIONS

MAX_INPUTS = 2048


def _texts(value: Any) -> list[str]:
    """The inputs as texts: a string, strings, a token array, or token arrays."""
    if isinstance(value, str):
        items: list[Any] = [value]
    elif isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        items = [value]
    elif isinstance(value, list) and value:
        items = value
    else:
        raise invalid("'input' must be a non-empty string or array.", param="input")
    if len(items) > MAX_INPUTS:
        raise invalid(f"'input' has {len(items)} items; at most {MAX_INPUTS} are allowed.", param="input")
    texts = []
    for item in items:
        if isinstance(item, list) and item and all(isinstance(token, int) for token in item):
            texts.append(" ".join(f"t{token}" for token in item))
        elif isinstance(item, str) and item:
            texts.append(item)
        else:
            raise invalid("'input' cannot contain empty strings or mixed types.", param="input")
    return texts


def not_an_embedding_model(model: str, kind: str) -> APIError:
    return APIError(403, "You are not allowed to generate embeddings from this model")


def create_embeddings(request: Request) -> Response:
    body = request.json()
    model = require(body, "model")
    texts = _texts(require(body, "input", (str, list)))
    model_of_kind(request, model, ("embedding",), not_an_embedding_model)
    native = EMBEDDING_DIMENSIONS[model]
    dimensions = body.get("dimensions")
    if dimensions is not None:
        if model == "text-embedding-ada-002":
            raise invalid("This model does not support specifying dimensions.", param="dimensions")
        if isinstance(dimensions, bool) or not isinstance(dimensions, int) or not 1 <= dimensions <= native:
            raise invalid(f"Invalid 'dimensions': expected an integer between 1 and {native}.", param="dimensions")
    encoding = body.get("encoding_format", "float")
    check_choice(encoding, "encoding_format", ["float", "base64"])
    data = []
    for index, text in enumerate(texts):
        vector = synth.embed(text, dimensions or native)
        value: Any = synth.embedding_as_base64(vector) if encoding == "base64" else vector
        data.append({"object": "embedding", "index": index, "embedding": value})
    prompt_tokens = sum(synth.estimate_tokens(text) for text in texts)
    return json_response(
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
    )


ROUTES = (Route("POST", "/embeddings", create_embeddings),)

"""OpenAI's wire conventions, shared by the sync (``requests``) and async (``httpx``) clients.

Headers, error answers and JSON bodies are the same whichever library carries them, so
they are written once, here, with no HTTP library imported: the triggerer, which only
runs the async client, never loads ``requests``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_openai_adv import __version__
from airflow_provider_openai_adv.client.config import ClientConfig
from airflow_provider_openai_adv.exceptions import (
    APIStatusError,
    InvalidResponseError,
    redact_secrets,
    redact_value,
    redacted_excerpt,
    status_error_class,
)
from airflow_provider_openai_adv.safe_json import UnsafeJSONError, loads

MAX_ERROR_BODY = 1 << 20  # bytes of an error answer read; a proxy's page is far smaller
MAX_JSON_BODY = 256 << 20  # bytes of a JSON answer accepted (2,048 large embeddings are ~130 MB)
SNIPPET = 200  # characters of an unexpected body quoted in a message


def default_headers(config: ClientConfig, transport: str) -> dict[str, str]:
    """Auth, organization, project and a User-Agent naming this package and ``transport``."""
    user_agent = f"airflow-provider-openai-adv/{__version__} {transport}"
    if config.user_agent_suffix:
        user_agent += f" {config.user_agent_suffix}"
    headers = {"Authorization": f"Bearer {config.api_key}", "User-Agent": user_agent, "Accept": "application/json"}
    if config.organization:
        headers["OpenAI-Organization"] = config.organization
    if config.project:
        headers["OpenAI-Project"] = config.project
    return headers


def status_error(
    status_code: int, reason: str, headers: Mapping[str, str], content: bytes, api_key: str
) -> APIStatusError:
    """The exception for an error answer: OpenAI's error object, or the body as text.

    The body is decoded first and redacted after, field by field, so no escaping of the
    key in the JSON text can slip past the redaction.
    """
    try:
        body: Any = redact_value(loads(content[:MAX_ERROR_BODY]), api_key)
    except UnsafeJSONError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = _text(error.get("message"))
        error_type, code, param = (_text(error.get(key)) or None for key in ("type", "code", "param"))
    else:
        message = error if isinstance(error, str) else redacted_excerpt(content, 2000, api_key).strip() or reason
        error_type = code = param = None
    return status_error_class(status_code, code, error_type)(
        status_code=status_code,
        message=message,
        error_type=error_type,
        code=code,
        param=param,
        request_id=redacted_request_id(headers.get("x-request-id"), api_key),
        body=body if body is not None else redacted_excerpt(content, MAX_ERROR_BODY, api_key),
        headers=redacted_headers(headers, api_key),
    )


def _text(value: Any) -> str:
    """A field of an error object as text, whatever JSON type the server used."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def redacted_headers(headers: Mapping[str, str], api_key: str) -> dict[str, str]:
    """Response headers, lower-cased, with the key masked wherever a server echoed it."""
    return {str(name).lower(): redact_secrets(str(value), api_key) for name, value in headers.items()}


def redacted_request_id(request_id: str | None, api_key: str) -> str | None:
    """The ``x-request-id`` a server sent, quoted in messages: masked like any text it sends."""
    return None if request_id is None else redact_secrets(str(request_id), api_key)


def decode_object(content: bytes, *, description: str, request_id: str | None, api_key: str) -> dict[str, Any]:
    """A successful answer's JSON object; :class:`InvalidResponseError` for anything else.

    Every OpenAI endpoint that answers JSON answers an object (lists are
    ``{"object": "list", "data": [...]}``), so a bare array, a string or an HTML page
    with status 200 — a misconfigured proxy, a captive portal — is an error, not data.
    """
    if len(content) > MAX_JSON_BODY:
        problem = f"the answer is over {MAX_JSON_BODY >> 20} MiB of JSON; refused"
        raise InvalidResponseError(_where(description, request_id, api_key) + problem)
    try:
        body = loads(content)
    except UnsafeJSONError as error:
        problem = f"the answer is {error}: {snippet(content, api_key)}"
        raise InvalidResponseError(_where(description, request_id, api_key) + problem) from None
    if not isinstance(body, dict):
        problem = f"expected a JSON object, got {type(body).__name__}: {snippet(content, api_key)}"
        raise InvalidResponseError(_where(description, request_id, api_key) + problem)
    return body


def _where(description: str, request_id: str | None, api_key: str) -> str:
    """The start of a message about an answer: the request, and the server's id for it."""
    request_id = redacted_request_id(request_id, api_key)
    return f"{description}{f' [request_id={request_id}]' if request_id else ''}: "


def snippet(content: bytes, api_key: str) -> str:
    """The start of an unexpected body, redacted, for a message."""
    return repr(redacted_excerpt(content, SNIPPET, api_key))

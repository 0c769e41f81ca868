"""Checks and helpers shared by the emulated endpoints."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.fine_tuning import FineTuningStore, learned_reply
from airflow_provider_openai_adv.testing.http import Form, Request, Response, UploadedFile, invalid, not_found
from airflow_provider_openai_adv.testing.models import ModelStore

METADATA_PAIRS, METADATA_KEY_CHARS, METADATA_VALUE_CHARS = 16, 64, 512  # the spec's ``Metadata``
EXPIRY_SECONDS = (3600, 2_592_000)  # ``FileExpirationAfter.seconds``: "between 3600 (1 hour) and 2592000 (30 days)"


def require(body: dict[str, Any], name: str, kinds: type | tuple[type, ...] = str) -> Any:
    """The required parameter ``name``; OpenAI's 400 when it is missing or mistyped."""
    if name not in body or body[name] is None:
        raise invalid(f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
    value = body[name]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        raise invalid(f"Invalid type for '{name}'.", param=name, code="invalid_type")
    return value


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def check_range(body: dict[str, Any], name: str, low: float, high: float) -> None:
    """``body[name]``, when present, must be a number within ``[low, high]``."""
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"Invalid type for '{name}': expected a number.", param=name, code="invalid_type")
    if not low <= value <= high:
        raise invalid(
            f"Invalid '{name}': {value} is out of range; expected a value between {low:g} and {high:g}.",
            param=name,
            code="invalid_value" if name != "n" else "integer_out_of_range",
        )


def check_choice(value: Any, name: str, allowed: Iterable[str]) -> None:
    allowed = list(allowed)
    if value is not None and value not in allowed:
        raise invalid(
            f"Invalid value: '{value}'. Supported values are: {', '.join(repr(a) for a in allowed)}.",
            param=name,
            code="invalid_value",
        )


def current_models(request: Request) -> dict[str, dict[str, Any]]:
    """The models, including those fine-tunes have produced by the emulator's clock."""
    request.state.store(FineTuningStore).refresh_all()
    return request.state.store(ModelStore).models


def answer_for(request: Request, model: str, prompt: str) -> str:
    """What ``model`` says to ``prompt``: the reply a fine-tune taught it, else the stock reply."""
    return learned_reply(request.state, model, prompt) or synth.reply_for(model, prompt)


def model_or_404(request: Request, model: str) -> dict[str, Any]:
    found = current_models(request).get(model)
    if found is None:
        raise not_found(
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    return found


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def sse_response(events: Iterable[dict[str, Any]], *, done: bool = True) -> Response:
    """Stream ``events`` as server-sent events, then ``data: [DONE]``."""

    async def encode():
        for event in events:
            yield b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"
        if done:
            yield b"data: [DONE]\n\n"

    return Response(
        content_type="text/event-stream; charset=utf-8", stream=encode(), headers=[("cache-control", "no-cache")]
    )


def list_body(items: list[dict[str, Any]], has_more: bool = False) -> dict[str, Any]:
    """A cursor-paginated list answer."""
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"] if items else "",
        "last_id": items[-1]["id"] if items else "",
        "has_more": has_more,
    }


def paginate(request: Request, items: list[dict[str, Any]], *, default_limit: int, max_limit: int) -> dict[str, Any]:
    """Serve ``items`` (already in list order) a page at a time with ``limit`` / ``after``."""
    limit_text = request.query.get("limit")
    try:
        limit = int(limit_text) if limit_text is not None else default_limit
    except ValueError:
        raise invalid(f"Invalid 'limit': {limit_text!r} is not an integer.", param="limit") from None
    if not 1 <= limit <= max_limit:
        raise invalid(f"Invalid 'limit': expected a value between 1 and {max_limit}.", param="limit")
    after = request.query.get("after")
    start = 0
    if after:
        ids = [item["id"] for item in items]
        if after not in ids:
            raise not_found(f"No such object: '{after}'.", param="after")
        start = ids.index(after) + 1
    page = items[start : start + limit]
    return list_body(page, has_more=start + limit < len(items))


def form_number(form: Form, name: str, kind: type[int] | type[float]) -> int | float | None:
    """A number field of a multipart form (all fields arrive as text); 400 when it is not one."""
    text = form.get(name)
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        raise invalid(
            f"Invalid type for '{name}': expected a number, got {text!r}.", param=name, code="invalid_type"
        ) from None


def upload_digest(upload: UploadedFile) -> str:
    """A hash of an uploaded file's bytes: what deterministic answers about a file derive from."""
    with upload.path.open("rb") as handle:
        return hashlib.file_digest(handle, "blake2b").hexdigest()


def optional(body: dict[str, Any], name: str, kinds: type | tuple[type, ...] = str) -> Any:
    """The optional parameter ``name`` (``None`` when absent or null), type-checked like ``require``."""
    return require(body, name, kinds) if body.get(name) is not None else None


def check_metadata(value: Any) -> dict[str, str] | None:
    """``metadata`` as the spec bounds it: at most 16 pairs, keys up to 64 characters, string values up to 512."""
    if value is not None and not (
        isinstance(value, dict)
        and len(value) <= METADATA_PAIRS
        and all(
            len(key) <= METADATA_KEY_CHARS and isinstance(text, str) and len(text) <= METADATA_VALUE_CHARS
            for key, text in value.items()
        )
    ):
        raise invalid(
            "Invalid 'metadata': expected at most 16 keys of up to 64 characters, with string values of up to 512.",
            param="metadata",
        )
    return value


def check_expires_after(value: Any, name: str) -> int | None:
    """An expiration policy (``{"anchor": "created_at", "seconds": n}``): its seconds, or ``None`` when absent."""
    if value is None:
        return None
    low, high = EXPIRY_SECONDS
    seconds = value.get("seconds") if isinstance(value, dict) else None
    if (
        not isinstance(value, dict)
        or value.get("anchor") != "created_at"
        or isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not low <= seconds <= high
        or set(value) - {"anchor", "seconds"}
    ):
        raise invalid(
            f"Invalid '{name}': expected anchor 'created_at' and seconds between {low} and {high}.", param=name
        )
    return seconds


def reject_unknown(body: dict[str, Any], known: Iterable[str]) -> None:
    """OpenAI's 400 for a parameter a request schema with ``additionalProperties: false`` does not have."""
    unknown = sorted(body.keys() - set(known))
    if unknown:
        raise invalid(f"Unknown parameter: '{unknown[0]}'.", param=unknown[0], code="unknown_parameter")

"""Checks and helpers shared by the emulated endpoints."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable
from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.fine_tuning import FineTuningStore, learned_reply
from airflow_provider_openai_adv.testing.http import (
    APIError,
    Form,
    Request,
    Response,
    UploadedFile,
    invalid,
    not_found,
)
from airflow_provider_openai_adv.testing.models import ModelStore, model_kind
from airflow_provider_openai_adv.testing.schema_values import value_for_schema

METADATA_PAIRS, METADATA_KEY_CHARS, METADATA_VALUE_CHARS = 16, 64, 512  # the spec's ``Metadata``
MAX_STRICT_NESTING = 64  # levels a strict schema may nest (a bound of the emulator's, as ``schema_values.MAX_DEPTH``)
EXPIRY_SECONDS = (3600, 2_592_000)  # ``FileExpirationAfter.seconds``: "between 3600 (1 hour) and 2592000 (30 days)"


def require(body: dict[str, Any], name: str, kinds: type | tuple[type, ...] = str, *, path: str | None = None) -> Any:
    """The required parameter ``name``; OpenAI's 400 when it is missing or mistyped.

    ``path`` is how the 400 names a nested parameter (``input[0].role``); ``name`` by default.
    """
    param = path or name
    if name not in body or body[name] is None:
        raise invalid(f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter")
    value = body[name]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        raise invalid(f"Invalid type for '{param}'.", param=param, code="invalid_type")
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


def check_length(value: str | list[Any], name: str, maximum: int) -> None:
    """OpenAI's 400 for a string or an array longer than the spec allows."""
    if len(value) <= maximum:
        return
    kind, article = ("string", "a") if isinstance(value, str) else ("array", "an")
    raise invalid(
        f"Invalid '{name}': {kind} too long. Expected {article} {kind} with maximum length {maximum}, "
        f"but got {article} {kind} with length {len(value)} instead.",
        param=name,
        code=f"{kind}_above_max_length",
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


def formatted_answer(kind: str, schema: dict[str, Any] | None, reply: str) -> str:
    """``reply`` in the output format asked for: ``text`` as it is, ``json_object`` wrapped in an
    object, ``json_schema`` as a value that satisfies ``schema``."""
    if kind == "json_object":
        return json.dumps({"reply": reply})
    if kind == "json_schema":
        return json.dumps(value_for_schema(schema or {"type": "object"}, reply))
    return reply


def function_to_call(
    functions: list[dict[str, Any]], prompt: str | None, *, required: bool = False, name: str | None = None
) -> dict[str, Any] | None:
    """The function (``{"name", "parameters"...}``) the emulated model calls, if any.

    The one ``name`` forces; the first when a call is ``required``; else one whose name the
    ``prompt`` mentions (no prompt: the model answers in words, as after a tool's result).
    """
    if name is not None:
        return next((function for function in functions if function.get("name") == name), None)
    if required:
        return functions[0] if functions else None
    if prompt is None:
        return None
    return next((function for function in functions if function.get("name", "\0") in prompt), None)


def strict_schema_problem(schema: Any, context: tuple[str, ...] = (), depth: int = 0) -> str | None:
    """Why strict mode refuses ``schema``, in OpenAI's words, or ``None`` when it takes it.

    Strict mode (structured outputs, strict function tools) needs every object closed
    (``additionalProperties: false``) and every property listed in ``required``, at every
    depth; past ``MAX_STRICT_NESTING`` levels the schema is refused as too deep.
    """
    if not isinstance(schema, dict):
        return None
    if depth > MAX_STRICT_NESTING:
        return f"The schema nests deeper than {MAX_STRICT_NESTING} levels."
    if schema.get("type") == "object" or "properties" in schema:
        where = f"In context={context!r}"
        if schema.get("additionalProperties") is not False:
            return f"{where}, 'additionalProperties' is required to be supplied and to be false."
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        missing = [name for name in schema.get("properties") or {} if name not in required]
        if missing:
            return (
                f"{where}, 'required' is required to be supplied and to be an array including every key in "
                f"properties. Missing '{missing[0]}'."
            )
    for inner_context, inner in _subschemas(schema, context):
        problem = strict_schema_problem(inner, inner_context, depth + 1)
        if problem:
            return problem
    return None


def _subschemas(schema: dict[str, Any], context: tuple[str, ...]) -> Iterable[tuple[tuple[str, ...], Any]]:
    for key in ("properties", "$defs", "definitions"):
        if isinstance(schema.get(key), dict):
            yield from (((*context, key, name), inner) for name, inner in schema[key].items())
    if "items" in schema:
        yield (*context, "items"), schema["items"]
    for key in ("anyOf", "allOf"):
        if isinstance(schema.get(key), list):
            yield from (((*context, key, str(index)), inner) for index, inner in enumerate(schema[key]))


def model_or_404(request: Request, model: str) -> dict[str, Any]:
    found = current_models(request).get(model)
    if found is None:
        raise not_found(
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    return found


def model_of_kind(
    request: Request, model: str, kinds: Collection[str], refusal: Callable[[str, str], APIError]
) -> dict[str, Any]:
    """The listed ``model`` when it is of one of the ``kinds`` (``models.model_kind``) the endpoint
    serves; else the endpoint's answer to a model of another kind, ``refusal(model, kind)``."""
    found = model_or_404(request, model)
    kind = model_kind(model)
    if kind not in kinds:
        raise refusal(model, kind)
    return found


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def sse_response(events: Iterable[dict[str, Any]], *, done: bool = True, named: bool = False) -> Response:
    """Stream ``events`` as server-sent events, then ``data: [DONE]``.

    ``named``: each event also has an ``event:`` line with its ``type``, as the Responses API sends them.
    """

    async def encode():
        for event in events:
            name = b"event: " + event["type"].encode() + b"\n" if named else b""
            yield name + b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"
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


def optional(body: dict[str, Any], name: str, kinds: type | tuple[type, ...] = str, *, path: str | None = None) -> Any:
    """The optional parameter ``name`` (``None`` when absent or null), type-checked like ``require``."""
    return require(body, name, kinds, path=path) if body.get(name) is not None else None


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

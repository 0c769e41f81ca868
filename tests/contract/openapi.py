"""Checking recorded exchanges against OpenAI's published OpenAPI specification.

The specification is read from ``../shared/openai-openapi`` (it is OpenAI's, MIT, and
not copied into this project). Two adjustments let ``openapi-core`` read it, and both
only loosen checks that the validator cannot make on this document:

* a ``discriminator`` without a ``mapping`` is dropped (its ``oneOf`` still applies):
  ``openapi-core`` would look for schemas named after the values (``#/.../user``);
* a ``format: binary`` string (a file part of a multipart body) accepts any value:
  the validator sees the file as bytes, which no JSON-schema string type admits.

And translations to what the documents mean:

* OpenAPI 3.0's ``nullable: true``, still used in places (stream chunks' ``logprobs``),
  becomes a ``"null"`` type as 3.1 spells it, and a 3.0 document is then read as 3.1;
* a ``oneOf`` whose branches are all strings ("any string, or one of these names", as the
  2023 ``CreateEditRequest.model``) becomes an ``anyOf``: the documented names match
  both branches, so as written the document would refuse every request it describes;
* ``minimum: m, exclusiveMinimum: true`` (3.0's spelling, seven times in the current
  document, among them every ``learning_rate_multiplier``) becomes 3.1's
  ``exclusiveMinimum: m``: a 3.1 validator reads ``true`` as the bound 1 and would refuse
  a multiplier of 0.5 that the document's own text allows. The same limit, no looser;
* a query parameter keeps a single type (``GET /fine_tuning/jobs``'s ``metadata`` is a
  nullable object): openapi-core picks a query-string reader by one type, and a query
  string cannot carry a JSON null anyway.
"""

from __future__ import annotations

import pickle
import re
from functools import cache
from pathlib import Path
from typing import Any

from tests.conftest import SPEC_DIR

CACHE_DIR = Path(__file__).resolve().parents[2] / ".pytest_cache" / "openapi"
ADJUSTMENTS_VERSION = 3  # bump when _loosen changes, so cached documents are rebuilt


def _loosen(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("format") == "binary" and node.get("type") == "string":
            return {key: value for key, value in node.items() if key not in ("type", "format")}
        if "oneOf" in node and all(isinstance(b, dict) and b.get("type") == "string" for b in node["oneOf"]):
            node = {**{k: v for k, v in node.items() if k != "oneOf"}, "anyOf": node["oneOf"]}
        for bound in ("minimum", "maximum"):
            exclusive = f"exclusive{bound.capitalize()}"
            if node.get(exclusive) is True and bound in node:
                node = {**{k: v for k, v in node.items() if k != bound}, exclusive: node[bound]}
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node = {**node, "type": [node["type"], "null"]}
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        return {
            key: _loosen(value)
            for key, value in node.items()
            if not (key == "discriminator" and isinstance(value, dict) and "mapping" not in value)
        }
    if isinstance(node, list):
        return [_loosen(item) for item in node]
    return node


@cache
def spec_document(name: str) -> dict[str, Any]:
    """The parsed (and loosened) specification; parsed once, then cached on disk."""
    source = SPEC_DIR / name
    cached = CACHE_DIR / f"{name}.{source.stat().st_mtime_ns}.v{ADJUSTMENTS_VERSION}.pickle"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    import yaml

    with source.open() as handle:
        document = _loosen(yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    document["openapi"] = "3.1.0"  # after the nullable translation, every document reads as 3.1
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if isinstance(schema.get("type"), list):
                    schema["type"] = next(kind for kind in schema["type"] if kind != "null")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(pickle.dumps(document))
    return document


@cache
def openapi(name: str):
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_dict(spec_document(name), config=Config(spec_validator_cls=None))


def validate_exchange(api, entry) -> None:
    """Validate one journal entry: the request, and the answer when it was kept."""
    from openapi_core.testing import MockRequest

    headers = {name: value for name, value in entry.headers.items() if name != "authorization"}
    headers["Authorization"] = "Bearer sk-contract-test"  # the journal masks the real one
    request = MockRequest(
        "https://api.openai.com",
        entry.method.lower(),
        entry.path,
        args=entry.query,
        headers=headers,
        content_type=entry.headers.get("content-type"),
        data=entry.body,
    )
    api.validate_request(request)
    if entry.response_body is not None:
        validate_answer(api, entry, request)


def validate_schema(document: dict[str, Any], schema_name: str, instance: Any) -> None:
    """Validate ``instance`` against ``#/components/schemas/<schema_name>`` of ``document``."""
    from openapi_schema_validator import OAS31Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:spec", Resource(contents=document, specification=DRAFT202012))
    OAS31Validator({"$ref": f"urn:spec#/components/schemas/{schema_name}"}, registry=registry).validate(instance)


MULTIPART_REQUESTS = {
    "/v1/images/edits": "CreateImageEditRequest",
    "/v1/images/variations": "CreateImageVariationRequest",
    "/v1/audio/transcriptions": "CreateTranscriptionRequest",
    "/v1/audio/translations": "CreateTranslationRequest",
}
VERBOSE_ANSWERS = {
    "/v1/audio/transcriptions": "CreateTranscriptionResponseVerboseJson",
    "/v1/audio/translations": "CreateTranslationResponseVerboseJson",
}


def typed_text(value: str, schema: dict[str, Any]) -> Any:
    """A text part as the JSON value it stands for when its schema wants a number or a boolean."""
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    kinds += [option.get("type") for option in schema.get("anyOf", [])]
    if "integer" in kinds and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "number" in kinds and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


def form_object(document: dict[str, Any], schema_name: str, entry) -> dict[str, Any]:
    """The object a recorded multipart body encodes; each file is a placeholder string."""
    properties = document["components"]["schemas"][schema_name]["properties"]
    parts = {**entry.form, **{name: ["<file>"] * len(files) for name, files in entry.files.items()}}
    body: dict[str, Any] = {}
    for part_name, values in parts.items():
        name = part_name.removesuffix("[]")  # the SDKs' spelling of an array part
        schema = properties.get(name, {})
        is_array = schema.get("type") == "array"
        typed = [typed_text(value, schema.get("items", {}) if is_array else schema) for value in values]
        body[name] = typed if is_array or len(typed) > 1 else typed[0]
    return body


def validate_answer(api, entry, request=None) -> None:
    """The answer, through ``openapi-core``; the request only tells which operation it answers."""
    from openapi_core.testing import MockRequest, MockResponse

    request = request or MockRequest("https://api.openai.com", entry.method.lower(), entry.path)
    response = MockResponse(
        entry.response_body,
        status_code=entry.status,
        content_type=entry.response_content_type,
        headers=entry.response_headers,
    )
    api.validate_response(request, response)


def validate_recorded(api, document: dict[str, Any], entry) -> None:
    """``validate_exchange``, adapted for multipart exchanges (see ``tests/contract/test_media_contract.py``)."""
    request_schema = MULTIPART_REQUESTS.get(entry.path)
    if request_schema is None:
        validate_exchange(api, entry)
        return
    validate_schema(document, request_schema, form_object(document, request_schema, entry))
    if not entry.response_content_type.startswith("application/json"):
        return
    if entry.status == 200 and entry.form.get("response_format") == ["verbose_json"]:
        validate_schema(document, VERBOSE_ANSWERS[entry.path], entry.response_json())
    else:
        validate_answer(api, entry)

"""Checking recorded exchanges against OpenAI's published OpenAPI specification.

The specification is read from ``../shared/openai-openapi`` (it is OpenAI's, MIT, and
not copied into this project). Two adjustments let ``openapi-core`` read it, and both
only loosen checks that the validator cannot make on this document:

* a ``discriminator`` without a ``mapping`` is dropped (its ``oneOf`` still applies):
  ``openapi-core`` would look for schemas named after the values (``#/.../user``);
* a ``format: binary`` string (a file part of a multipart body) accepts any value:
  the validator sees the file as bytes, which no JSON-schema string type admits.

And one translation: OpenAPI 3.0's ``nullable: true``, which the document still uses in
places (stream chunks' ``logprobs``), becomes a ``"null"`` type as 3.1 spells it.
"""

from __future__ import annotations

import pickle
from functools import cache
from pathlib import Path
from typing import Any

from tests.conftest import SPEC_DIR

CACHE_DIR = Path(__file__).resolve().parents[2] / ".pytest_cache" / "openapi"


def _loosen(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("format") == "binary" and node.get("type") == "string":
            return {key: value for key, value in node.items() if key not in ("type", "format")}
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
    cached = CACHE_DIR / f"{name}.{source.stat().st_mtime_ns}.pickle"
    if cached.exists():
        return pickle.loads(cached.read_bytes())
    import yaml

    with source.open() as handle:
        document = _loosen(yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(pickle.dumps(document))
    return document


@cache
def openapi(name: str):
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_dict(spec_document(name), config=Config(spec_validator_cls=None))


def validate_exchange(api, entry) -> None:
    """Validate one journal entry: the request, and the answer when it was kept."""
    from openapi_core.testing import MockRequest, MockResponse

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
        response = MockResponse(
            entry.response_body,
            status_code=entry.status,
            content_type=entry.response_content_type,
            headers=entry.response_headers,
        )
        api.validate_response(request, response)


def validate_schema(document: dict[str, Any], schema_name: str, instance: Any) -> None:
    """Validate ``instance`` against ``#/components/schemas/<schema_name>`` of ``document``."""
    from openapi_schema_validator import OAS31Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:spec", Resource(contents=document, specification=DRAFT202012))
    OAS31Validator({"$ref": f"urn:spec#/components/schemas/{schema_name}"}, registry=registry).validate(instance)

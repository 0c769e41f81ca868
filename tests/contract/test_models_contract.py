"""A fresh emulator serves every model OpenAI's specification names for an endpoint it serves.

The ids are read from the specification, not copied: the ``model`` property of the
request body of each operation the emulator routes (``ModelIdsShared`` for chat,
``ModelIdsResponses`` for responses, the enums of the image, audio, speech, embedding,
moderation, completion and fine-tuning requests), through ``$ref``, ``allOf`` and
``anyOf``. A specification that adds a model fails this test until ``BASE_MODELS`` has it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

BODY_TYPES = ("application/json", "multipart/form-data")


def model_ids_named(document: dict[str, Any], serves: Callable[[str, str], bool]) -> set[str]:
    """The model ids the specification names in the request bodies of the operations ``serves`` routes."""
    ids: set[str] = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or not serves(method.upper(), "/v1" + path):
                continue
            content = (operation.get("requestBody") or {}).get("content", {})
            for body_type in BODY_TYPES:
                body = content.get(body_type, {}).get("schema", {})
                for model in model_properties(document, body):
                    ids |= enum_strings(document, model, frozenset())
    return ids


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def model_properties(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schemas of a request body's ``model`` property, in the body or in its ``allOf`` parts."""
    schema = resolved(document, schema)
    found = [schema["properties"]["model"]] if "model" in schema.get("properties", {}) else []
    return found + [model for part in schema.get("allOf", []) for model in model_properties(document, part)]


def enum_strings(document: dict[str, Any], schema: dict[str, Any], seen: frozenset[str]) -> set[str]:
    """The strings of every enum in ``schema``, its references and its branches."""
    if "$ref" in schema:
        reference = schema["$ref"]
        return set() if reference in seen else enum_strings(document, resolved(document, schema), seen | {reference})
    found = {value for value in schema.get("enum", []) if isinstance(value, str)}
    for branch in (*schema.get("anyOf", []), *schema.get("oneOf", []), *schema.get("allOf", [])):
        found |= enum_strings(document, branch, seen)
    return found


def test_every_model_the_spec_names_for_a_served_endpoint_is_listed(openai_emulator, current_document, http):
    named = model_ids_named(current_document, openai_emulator.app.serves)
    assert {"gpt-5", "o3-pro", "gpt-image-1-mini", "gpt-4o-mini-tts", "whisper-1", "text-embedding-3-large"} <= named
    listed = {model["id"] for model in http.get("/models").json()["data"]}
    assert sorted(named - listed) == []


def test_a_model_the_spec_adds_is_reported_missing(openai_emulator, current_document, http):
    """The check can fail: a specification naming one more chat model finds it unlisted."""
    newer = copy.deepcopy(current_document)
    newer["components"]["schemas"]["ModelIdsShared"]["anyOf"][1]["enum"].append("gpt-next")
    listed = {model["id"] for model in http.get("/models").json()["data"]}
    assert model_ids_named(newer, openai_emulator.app.serves) - listed == {"gpt-next"}

"""Structured outputs: an answer shaped by a JSON schema or a Pydantic model, checked before use.

One implementation for every path that asks for typed answers — chat's
``response_format``, the Responses API's ``text.format``, and the bulk operators' rows:

* :func:`output_schema` takes what the DAG author gave — a Pydantic model class, a JSON
  schema, or an already complete format object — and returns an :class:`OutputSchema`;
* :meth:`OutputSchema.chat_format` / :meth:`OutputSchema.responses_format` are the
  request's format object (the two APIs nest the same three fields differently);
* :meth:`OutputSchema.parse` reads the answer's text as hostile JSON and validates it,
  naming the first field that does not fit.

A Pydantic model's schema is made *strict* the way OpenAI's strict mode requires: every
object closed (``additionalProperties: false``) with every property listed as required
(an optional field is already "this or null" in Pydantic's schema), references with
sibling keywords inlined, and ``null`` defaults dropped. A schema given as a dict is
sent as written: it is the author's contract. Pure Python; Pydantic and ``jsonschema``
(both Airflow dependencies) are imported only when used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airflow_provider_openai_adv.exceptions import OpenAIAdvError, OpenAIValidationError

SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEFAULT_NAME = "output"
MAX_SCHEMA_DEPTH = 64  # nesting of a schema we rewrite; OpenAI's strict mode allows 10 levels of objects


class StructuredOutputError(OpenAIAdvError):
    """The model's answer is not the structured output asked for: not JSON, or not valid
    against the schema (``field`` names where), or a refusal instead of an answer.

    Not permanent: a model may well answer correctly when asked again.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class OutputSchema:
    """What the answer must look like: ``schema`` (sent), and the Pydantic ``model`` to
    validate into when one was given (else the schema itself validates)."""

    name: str
    schema: dict[str, Any]
    strict: bool = True
    model: Any = None  # a pydantic.BaseModel subclass

    def chat_format(self) -> dict[str, Any]:
        """``response_format`` for ``/chat/completions``."""
        return {"type": "json_schema", "json_schema": {"name": self.name, "schema": self.schema, "strict": self.strict}}

    def responses_format(self) -> dict[str, Any]:
        """``text.format`` for ``/responses``."""
        return {"type": "json_schema", "name": self.name, "schema": self.schema, "strict": self.strict}

    def parse(self, text: Any) -> Any:
        """The answer as a JSON value that fits the schema (a Pydantic model's
        ``model_dump(mode="json")``, so it travels through XCom as plain JSON)."""
        from airflow_provider_openai_adv.safe_json import UnsafeJSONError, loads

        if not isinstance(text, str) or not text.strip():
            raise StructuredOutputError(f"{self.name}: the answer has no text to parse")
        try:
            value = loads(text)
        except UnsafeJSONError as error:
            raise StructuredOutputError(f"{self.name}: the answer is {error}") from None
        return self._validated_by_model(value) if self.model is not None else self._validated_by_schema(value)

    def _validated_by_model(self, value: Any) -> Any:
        import pydantic

        try:
            return self.model.model_validate(value).model_dump(mode="json")
        except pydantic.ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(the whole answer)"
            raise StructuredOutputError(
                f"{self.name}: the answer does not fit the model at {where}: {first['msg']}", field=where
            ) from None

    def _validated_by_schema(self, value: Any) -> Any:
        import jsonschema

        validator_class = jsonschema.validators.validator_for(self.schema, default=jsonschema.Draft202012Validator)
        error = jsonschema.exceptions.best_match(validator_class(self.schema).iter_errors(value))
        if error is None:
            return value
        where = ".".join(str(part) for part in error.absolute_path) or "(the whole answer)"
        raise StructuredOutputError(
            f"{self.name}: the answer does not fit the schema at {where}: {error.message}", field=where
        )


JSON_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")


def asks_for_schema(spec: Any) -> bool:
    """Whether ``spec`` names a schema (a model class, a JSON schema, a ``json_schema``
    format) rather than another kind of format (``{"type": "text"}``, ``json_object``)."""
    if isinstance(spec, type):
        return True
    if not isinstance(spec, dict):
        return False
    kind = spec.get("type")
    return kind == "json_schema" or kind in JSON_TYPES or any(key in spec for key in ("properties", "$defs", "anyOf"))


def output_schema(spec: Any, *, argument: str) -> OutputSchema | None:
    """The :class:`OutputSchema` for what a DAG author gave as ``argument``, or ``None``.

    ``spec`` may be a Pydantic model class; a JSON schema (a dict with ``type``,
    ``properties``, ``$defs`` or ``anyOf``); or a complete format object, in chat's shape
    ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`` or the
    Responses API's ``{"type": "json_schema", "name", "schema", "strict"}``.
    """
    if spec is None:
        return None
    if isinstance(spec, type) and hasattr(spec, "model_json_schema"):
        return OutputSchema(_name(spec.__name__), strict_schema(spec.model_json_schema()), model=spec)
    if not isinstance(spec, dict):
        raise OpenAIValidationError(f"{argument}: expected a Pydantic model class or a JSON schema (a dict)")
    if spec.get("type") == "json_schema":
        return _given_format(spec, argument)
    _check_schema(spec, argument)
    return OutputSchema(_name(spec.get("title")), spec)


def _given_format(spec: dict[str, Any], argument: str) -> OutputSchema:
    """A complete ``json_schema`` format: chat's (fields under ``json_schema``) or the
    Responses API's (fields beside ``type``)."""
    inner, where = spec, argument
    if "json_schema" in spec or not ("schema" in spec or "name" in spec):
        inner, where = spec.get("json_schema"), f"{argument}.json_schema"
        if not isinstance(inner, dict):
            raise OpenAIValidationError(f"{where}: is missing; give {{'name': ..., 'schema': {{...}}}}")
    name, schema = inner.get("name"), inner.get("schema")
    if not isinstance(name, str) or not SCHEMA_NAME.match(name):
        raise OpenAIValidationError(f"{where}.name: must be 1 to 64 letters, digits, '_' or '-'")
    if not isinstance(schema, dict):
        raise OpenAIValidationError(f"{where}.schema: is missing; give a JSON schema object")
    return OutputSchema(name, schema, strict=inner.get("strict") is not False)


def _name(title: Any) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", title)[:64] if isinstance(title, str) else ""
    return cleaned or DEFAULT_NAME


def _check_schema(schema: dict[str, Any], argument: str) -> None:
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator).check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path)
        raise OpenAIValidationError(
            f"{argument}: not a valid JSON schema{f' at {where}' if where else ''}: {error.message}"
        ) from None


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (a Pydantic model's) rewritten as OpenAI's strict mode requires."""
    definitions = schema.get("$defs", {})
    return _strict(schema, definitions, 0)


SCHEMA_MAPS = ("properties", "$defs", "definitions")  # keywords whose values are {name: schema}
SCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")  # keywords whose values are [schema]
SCHEMA_VALUES = ("items", "additionalProperties", "not")  # keywords whose value is a schema


def _strict(node: Any, definitions: dict[str, Any], depth: int) -> Any:
    if depth > MAX_SCHEMA_DEPTH:
        raise OpenAIValidationError(f"the schema nests more than {MAX_SCHEMA_DEPTH} levels deep")
    if not isinstance(node, dict):
        return node
    if "$ref" in node and len(node) > 1:  # strict mode takes a bare reference only
        node = {**_definition(node["$ref"], definitions), **{k: v for k, v in node.items() if k != "$ref"}}
    node = dict(node)
    for key in SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            node[key] = {name: _strict(value, definitions, depth + 1) for name, value in node[key].items()}
    for key in SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            node[key] = [_strict(value, definitions, depth + 1) for value in node[key]]
    for key in SCHEMA_VALUES:
        if isinstance(node.get(key), dict):
            node[key] = _strict(node[key], definitions, depth + 1)
    if node.get("default", ...) is None:
        del node["default"]
    if node.get("type") == "object" or "properties" in node:
        node["additionalProperties"] = False
        node["required"] = list(node.get("properties", {}))
    if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
        node = {**node.pop("allOf")[0], **node}
    return node


def _definition(ref: str, definitions: dict[str, Any]) -> dict[str, Any]:
    prefix = "#/$defs/"
    if not ref.startswith(prefix) or ref[len(prefix) :] not in definitions:
        raise OpenAIValidationError(f"the schema refers to {ref!r}, which it does not define")
    return definitions[ref[len(prefix) :]]

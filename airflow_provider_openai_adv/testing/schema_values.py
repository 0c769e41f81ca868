"""Values that satisfy a JSON schema: what the emulated model answers in structured outputs
and tool-call arguments."""

from __future__ import annotations

from typing import Any


def value_for_schema(schema: dict[str, Any], text: str) -> Any:
    """A value that satisfies a (simple) JSON schema, filled with ``text`` where a string fits."""
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: value_for_schema(properties.get(name, {}), text) for name in schema.get("required", properties)}
    if kind == "array":
        return [value_for_schema(schema.get("items", {}), text)] if schema.get("minItems") else []
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return text

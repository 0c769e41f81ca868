"""One request per row: an endpoint and a body whose ``{column}`` placeholders take the row's values.

::

    RequestTemplate(
        endpoint="/v1/chat/completions",
        body={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Classify: {text}"}]},
    )

A string that *is* a placeholder (``"{vector}"``) takes the column's value as it is — a
list stays a list; a placeholder inside a longer string takes the value as text. Only
names of the row's columns are placeholders: other braces (a JSON schema's description,
say) are left alone, and ``{{name}}`` writes a literal ``{name}``. The body is checked
against the row's columns before any request is built, so a misspelt column fails the
task at once, naming it.

With a ``schema`` (structured outputs, ``structured.py``) each request asks for it — chat's
``response_format``, the Responses API's ``text.format`` — added after the placeholders are
filled, so a schema's braces are never taken for columns; :meth:`RequestTemplate.parsed`
reads an answer's value back, validated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.validation import check_metadata

if TYPE_CHECKING:
    from airflow_provider_openai_adv.structured import OutputSchema

# The endpoints whose requests are built from rows (a batch runs a few more; they take files).
ENDPOINTS = ("/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/completions", "/v1/moderations")
_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})|\{\{(\w+)\}\}")


SCHEMA_ENDPOINTS = ("/v1/chat/completions", "/v1/responses")  # the endpoints that answer in a schema


@dataclass(frozen=True)
class RequestTemplate:
    endpoint: str
    body: dict[str, Any]
    schema: OutputSchema | None = None

    def check(self, columns: set[str] | None = None) -> None:
        """Refuse an endpoint or body that cannot make requests (``columns``: the row's, if known)."""
        if self.endpoint not in ENDPOINTS:
            raise OpenAIValidationError(f"endpoint: {self.endpoint!r} is not one of {', '.join(ENDPOINTS)}")
        if not isinstance(self.body, dict) or not self.body:
            raise OpenAIValidationError("body: expected the request's fields, with {column} placeholders")
        if not isinstance(self.body.get("model"), str) or not self.body["model"].strip():
            raise OpenAIValidationError("body: needs a 'model'")
        check_metadata("body.metadata", self.body.get("metadata"))
        if self.schema is not None:
            self._check_schema_fits()
        unknown = sorted(placeholders(self.body) - columns) if columns is not None else []
        if unknown:
            raise OpenAIValidationError(
                f"body: no column {', '.join(map(repr, unknown))} in the rows (they have {', '.join(sorted(columns))})"
            )

    def _check_schema_fits(self) -> None:
        if self.endpoint not in SCHEMA_ENDPOINTS:
            raise OpenAIValidationError(f"text_format: only {' and '.join(SCHEMA_ENDPOINTS)} answer in a schema")
        text = self.body.get("text")
        if self.body.get("response_format") is not None or (isinstance(text, dict) and "format" in text):
            raise OpenAIValidationError("text_format: the body names a format already; give one or the other")

    def request(self, values: dict[str, Any]) -> dict[str, Any]:
        """The body for one row."""
        body = _fill(self.body, values)
        if self.schema is None:
            return body
        if self.endpoint == "/v1/responses":
            return {**body, "text": {**(body.get("text") or {}), "format": self.schema.responses_format()}}
        return {**body, "response_format": self.schema.chat_format()}

    def identity(self) -> list[Any]:
        """What makes two templates send the same requests."""
        return [self.endpoint, self.body, self.schema.schema if self.schema is not None else None]

    @property
    def parser(self) -> Callable[[Any], Any] | None:
        """:meth:`parsed`, when a schema was asked for: what the results' writer reads answers with."""
        return self.parsed if self.schema is not None else None

    def parsed(self, answer: Any) -> Any:
        """The validated value of an answer's body; ``StructuredOutputError`` when it does not fit."""
        from airflow_provider_openai_adv.answers import parse_chat, parse_response, with_output_text
        from airflow_provider_openai_adv.structured import StructuredOutputError

        if self.schema is None or not isinstance(answer, dict):
            raise StructuredOutputError("the answer is not an object")
        if self.endpoint == "/v1/responses":
            response = parse_response(with_output_text(answer), self.schema)
            if "output_parsed" not in response:
                raise StructuredOutputError(f"{self.schema.name}: the response is {response.get('status')}")
            return response["output_parsed"]
        choices = parse_chat(answer, self.schema)["choices"]
        values = [choice["message"].get("parsed") for choice in choices]
        return values[0] if len(values) == 1 else values

    def line(self, custom_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """One line of a batch input file."""
        return {"custom_id": custom_id, "method": "POST", "url": self.endpoint, "body": self.request(values)}


def placeholders(value: Any) -> set[str]:
    """The column names a body refers to."""
    if isinstance(value, str):
        return {match[1] for match in _PLACEHOLDER.finditer(value) if match[1]}
    if isinstance(value, dict):
        return set().union(*(placeholders(item) for item in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(placeholders(item) for item in value)) if value else set()
    return set()


def _fill(value: Any, row: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole[1] in row:
            return row[whole[1]]
        return _PLACEHOLDER.sub(lambda match: _text(match, row), value)
    if isinstance(value, dict):
        return {key: _fill(item, row) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_fill(item, row) for item in value]
    return value


def _text(match: re.Match[str], row: dict[str, Any]) -> str:
    if match[2]:  # {{name}}: a literal {name}
        return "{" + match[2] + "}"
    return str(row[match[1]]) if match[1] in row else match[0]

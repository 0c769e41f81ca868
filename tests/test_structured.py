"""Structured outputs: what is sent for a model or a schema, and how an answer is judged."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from airflow_provider_openai_adv.answers import parse_chat, parse_response, with_output_text
from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.structured import (
    MAX_SCHEMA_DEPTH,
    StructuredOutputError,
    asks_for_schema,
    output_schema,
    strict_schema,
)


class Item(BaseModel):
    name: str
    price: int | None = None


class Ticket(BaseModel):
    category: Literal["billing", "bug", "other"]
    items: list[Item]
    main: Item = Field(description="the item the ticket is about")
    properties: str | None = None  # a field named like a schema keyword


TICKET = {
    "category": "bug",
    "items": [{"name": "a", "price": None}],
    "main": {"name": "b", "price": 3},
    "properties": None,
}


def objects(node):
    """Every object schema in ``node``, however deep."""
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for value in node.values():
            yield from objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects(value)


# -- what is sent ----------------------------------------------------------------------------


def test_a_pydantic_model_becomes_a_strict_schema_named_after_it():
    schema = output_schema(Ticket, argument="text_format")
    assert schema.name == "Ticket" and schema.strict and schema.model is Ticket
    for node in objects(schema.schema):
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    assert schema.schema["properties"]["properties"]["anyOf"] == [{"type": "string"}, {"type": "null"}]


def test_a_reference_with_a_description_beside_it_is_inlined_and_bare_ones_stay():
    schema = output_schema(Ticket, argument="text_format").schema
    assert "$ref" not in schema["properties"]["main"]
    assert schema["properties"]["main"]["description"] == "the item the ticket is about"
    assert schema["properties"]["items"]["items"] == {"$ref": "#/$defs/Item"}


def test_null_defaults_are_dropped_for_strict_mode():
    assert "default" not in json.dumps(output_schema(Item, argument="text_format").schema)


def test_the_two_apis_nest_the_same_format_differently():
    schema = output_schema(Item, argument="text_format")
    assert schema.chat_format() == {
        "type": "json_schema",
        "json_schema": {"name": "Item", "schema": schema.schema, "strict": True},
    }
    assert schema.responses_format() == {"type": "json_schema", "name": "Item", "schema": schema.schema, "strict": True}


def test_a_json_schema_is_sent_as_written_named_after_its_title():
    given_schema = {"title": "A label!", "type": "object", "properties": {"label": {"type": "string"}}}
    schema = output_schema(given_schema, argument="text_format")
    assert schema.schema is given_schema and schema.name == "A_label_"


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "json_schema", "json_schema": {"name": "label", "schema": {"type": "object"}, "strict": False}},
        {"type": "json_schema", "name": "label", "schema": {"type": "object"}, "strict": False},
    ],
    ids=["chat's shape", "the responses api's shape"],
)
def test_a_complete_format_is_taken_in_either_apis_shape(spec):
    schema = output_schema(spec, argument="response_format")
    assert (schema.name, schema.schema, schema.strict) == ("label", {"type": "object"}, False)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("a string", r"^text_format: expected a Pydantic model class or a JSON schema"),
        ({"type": "objekt"}, r"^text_format: not a valid JSON schema"),
        (
            {"type": "json_schema", "json_schema": {"name": "bad name", "schema": {}}},
            r"^text_format\.json_schema\.name: ",
        ),
        ({"type": "json_schema", "name": "x"}, r"^text_format\.schema: is missing"),
        ({"type": "json_schema"}, r"^text_format\.json_schema: is missing"),
    ],
)
def test_what_is_not_a_schema_is_refused_naming_the_argument(spec, message):
    with pytest.raises(OpenAIValidationError, match=message):
        output_schema(spec, argument="text_format")


@pytest.mark.parametrize(
    ("spec", "is_schema"),
    [
        (Ticket, True),
        ({"type": "json_schema", "json_schema": {}}, True),
        ({"type": "object"}, True),
        ({"properties": {}}, True),
        ({"type": "text"}, False),
        ({"type": "json_object"}, False),
        (None, False),
    ],
)
def test_chat_tells_a_schema_from_its_other_formats(spec, is_schema):
    assert asks_for_schema(spec) is is_schema


def test_a_schema_nested_beyond_reason_is_refused():
    deep: dict = {"type": "string"}
    for _ in range(MAX_SCHEMA_DEPTH + 1):
        deep = {"type": "array", "items": deep}
    with pytest.raises(OpenAIValidationError, match="nests more than"):
        strict_schema(deep)


def test_a_reference_to_nothing_is_refused():
    with pytest.raises(OpenAIValidationError, match="does not define"):
        strict_schema({"properties": {"a": {"$ref": "#/$defs/Gone", "description": "x"}}})


# -- how an answer is judged ------------------------------------------------------------------


def test_an_answer_that_fits_the_model_is_returned_as_plain_json():
    assert output_schema(Ticket, argument="text_format").parse(json.dumps(TICKET)) == TICKET


def test_an_answer_that_does_not_fit_the_model_names_the_field():
    wrong = {**TICKET, "items": [{"name": "a", "price": "cheap"}]}
    with pytest.raises(StructuredOutputError, match=r"at items\.0\.price") as caught:
        output_schema(Ticket, argument="text_format").parse(json.dumps(wrong))
    assert caught.value.field == "items.0.price"


def test_an_answer_that_does_not_fit_a_json_schema_names_the_field():
    schema = output_schema(
        {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}, argument="text_format"
    )
    with pytest.raises(StructuredOutputError, match="at n: 'one' is not of type 'integer'"):
        schema.parse('{"n": "one"}')


@pytest.mark.parametrize("text", ["", "not json", '{"category": ', None])
def test_an_answer_that_is_not_json_is_a_structured_output_error(text):
    with pytest.raises(StructuredOutputError):
        output_schema(Ticket, argument="text_format").parse(text)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_any_text_is_parsed_or_refused_with_our_error(text):
    schema = output_schema(Ticket, argument="text_format")
    try:
        value = schema.parse(text)
    except StructuredOutputError as error:
        assert str(error).startswith("Ticket: ")
    else:
        assert Ticket.model_validate(value)


def response(text: str, status: str = "completed", **extra) -> dict:
    message = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}
    return {"id": "resp_1", "status": status, "output": [message], **extra}


def test_a_response_gets_its_text_joined_and_its_value_parsed():
    parsed = parse_response(with_output_text(response(json.dumps(TICKET))), output_schema(Ticket, argument="x"))
    assert parsed["output_text"] == json.dumps(TICKET) and parsed["output_parsed"] == TICKET


def test_a_response_not_yet_completed_is_left_unparsed():
    queued = {"id": "resp_1", "status": "queued", "output": []}
    assert parse_response(queued, output_schema(Ticket, argument="x")) == queued


def test_a_refusal_or_a_tool_call_instead_of_text_is_said_so():
    refused = [{"type": "message", "content": [{"type": "refusal", "refusal": "No."}]}]
    refusal = {"id": "r", "status": "completed", "output": refused}
    with pytest.raises(StructuredOutputError, match="the model refused: No."):
        parse_response(refusal, output_schema(Ticket, argument="x"))
    call = {
        "id": "r",
        "status": "completed",
        "output": [{"type": "function_call", "name": "lookup", "arguments": "{}"}],
    }
    with pytest.raises(StructuredOutputError, match="it called tools instead: lookup"):
        parse_response(call, output_schema(Ticket, argument="x"))


def test_a_chat_answer_cut_at_the_token_limit_is_said_so():
    completion = {"choices": [{"index": 0, "finish_reason": "length", "message": {"content": '{"categ'}}]}
    with pytest.raises(StructuredOutputError, match="cut off at the token limit"):
        parse_chat(completion, output_schema(Ticket, argument="x"))

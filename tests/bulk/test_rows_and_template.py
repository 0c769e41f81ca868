"""Rows in (list, JSONL, CSV, Parquet) and one request per row."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.bulk.rows import RowSource
from airflow_provider_openai_adv.bulk.template import RequestTemplate, placeholders
from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.structured import StructuredOutputError, output_schema

TICKETS = [{"id": "t1", "text": "My card was charged twice"}, {"id": "t2", "text": "Where is my parcel?"}]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def write_csv(path, rows):
    import csv

    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def write_parquet(path, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return str(path)


@pytest.mark.parametrize("writer", [write_jsonl, write_csv, write_parquet], ids=["jsonl", "csv", "parquet"])
def test_every_format_gives_the_same_rows_in_order(tmp_path, writer):
    suffix = {"write_jsonl": ".jsonl", "write_csv": ".csv", "write_parquet": ".parquet"}[writer.__name__]
    source = RowSource(writer(tmp_path / f"tickets{suffix}", TICKETS), id_column="id")
    source.check()
    rows = list(source)
    assert [(row.position, row.custom_id, row.values) for row in rows] == [(0, "t1", TICKETS[0]), (1, "t2", TICKETS[1])]


def test_a_list_is_read_as_given_and_plain_items_become_value_rows():
    rows = list(RowSource(["alpha", {"text": "beta"}]))
    assert [(row.custom_id, row.values) for row in rows] == [("row-0", {"value": "alpha"}), ("row-1", {"text": "beta"})]


def test_columns_keep_only_what_is_named_and_a_missing_one_is_refused(tmp_path):
    source = RowSource(TICKETS, columns=["text"])
    assert [row.values for row in source] == [{"text": TICKETS[0]["text"]}, {"text": TICKETS[1]["text"]}]
    with pytest.raises(OpenAIValidationError, match="^input: row 0 has no column label"):
        list(RowSource(TICKETS, columns=["label"]))


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (RowSource([]), "^input: the list of rows is empty"),
        (RowSource(""), "^input: give a list"),
        (RowSource("rows.txt"), "^input_format: cannot tell the format"),
        (RowSource("rows.jsonl", input_format="xml"), "^input_format: 'xml' is not one of"),
        (RowSource(TICKETS, columns="text"), "^columns: expected a list"),
    ],
)
def test_what_cannot_be_an_input_is_refused_before_reading(source, problem):
    with pytest.raises(OpenAIValidationError, match=problem):
        source.check()


def test_a_bad_jsonl_line_is_named(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "ok"}\n[1, 2]\n')
    with pytest.raises(OpenAIValidationError, match="^input: line 2: expected a JSON object"):
        list(RowSource(str(path)))


@pytest.mark.parametrize(("value", "problem"), [(None, "no usable id"), ("", "no usable id"), ("x" * 600, "over 512")])
def test_an_id_column_must_hold_ids(value, problem):
    with pytest.raises(OpenAIValidationError, match=f"^id_column: row 0.*{problem}"):
        list(RowSource([{"id": value}], id_column="id"))


CHAT = RequestTemplate(
    endpoint="/v1/chat/completions",
    body={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Classify: {text}"}], "n": 1},
)


def test_placeholders_take_the_rows_values():
    assert CHAT.request(TICKETS[0]) == {
        "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Classify: My card was charged twice"}], "n": 1
    }  # fmt: skip
    assert CHAT.line("t1", TICKETS[0])["url"] == "/v1/chat/completions"


def test_a_whole_placeholder_keeps_the_values_type_and_other_braces_stay():
    template = RequestTemplate("/v1/embeddings", {"model": "m", "input": "{tokens}", "note": "{not_a_column} {{text}}"})
    assert template.request({"tokens": [1, 2, 3]}) == {
        "model": "m",
        "input": [1, 2, 3],
        "note": "{not_a_column} {text}",
    }
    assert placeholders(template.body) == {"tokens", "not_a_column"}


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        (RequestTemplate("/v1/images/generations", {"model": "m"}), "^endpoint: "),
        (RequestTemplate("/v1/embeddings", {}), "^body: expected"),
        (RequestTemplate("/v1/embeddings", {"input": "{text}"}), "^body: needs a 'model'"),
        (RequestTemplate("/v1/embeddings", {"model": "m", "input": "{txt}"}), "^body: no column 'txt'"),
    ],
)
def test_a_template_that_cannot_make_requests_is_refused(template, problem):
    with pytest.raises(OpenAIValidationError, match=problem):
        template.check({"id", "text"})


LABEL_SCHEMA = {
    "title": "Label",
    "type": "object",
    "properties": {"label": {"type": "string", "description": "one word, e.g. {text}"}},
    "required": ["label"],
    "additionalProperties": False,
}


def test_a_schema_is_asked_for_in_each_apis_own_place_and_its_braces_are_not_columns():
    schema = output_schema(LABEL_SCHEMA, argument="text_format")
    chat = RequestTemplate(CHAT.endpoint, CHAT.body, schema)
    assert chat.request(TICKETS[0])["response_format"]["json_schema"]["schema"] is LABEL_SCHEMA
    responses = RequestTemplate("/v1/responses", {"model": "gpt-4o-mini", "input": "{text}"}, schema)
    assert responses.request(TICKETS[0])["text"]["format"]["schema"] is LABEL_SCHEMA
    responses.check({"id", "text"})


@pytest.mark.parametrize(
    ("endpoint", "body", "problem"),
    [
        ("/v1/embeddings", {"model": "m", "input": "{text}"}, "only /v1/chat/completions and /v1/responses"),
        ("/v1/chat/completions", {"model": "m", "response_format": {"type": "json_object"}}, "names a format already"),
        ("/v1/responses", {"model": "m", "text": {"format": {"type": "text"}}}, "names a format already"),
    ],
)
def test_a_schema_is_refused_where_no_answer_can_hold_it(endpoint, body, problem):
    template = RequestTemplate(endpoint, body, output_schema(LABEL_SCHEMA, argument="text_format"))
    with pytest.raises(OpenAIValidationError, match=f"^text_format: .*{problem}"):
        template.check({"text"})


def test_answers_are_read_back_validated_from_either_api():
    schema = output_schema(LABEL_SCHEMA, argument="text_format")
    chat = RequestTemplate(CHAT.endpoint, CHAT.body, schema)
    assert chat.parsed({"choices": [{"message": {"content": '{"label": "billing"}'}}]}) == {"label": "billing"}
    responses = RequestTemplate("/v1/responses", {"model": "m", "input": "{text}"}, schema)
    answer = {
        "status": "completed",
        "output": [{"type": "message", "content": [{"type": "output_text", "text": '{"label": "bug"}'}]}],
    }
    assert responses.parsed(answer) == {"label": "bug"}
    with pytest.raises(StructuredOutputError, match="the response is incomplete"):
        responses.parsed({**answer, "status": "incomplete"})
    assert CHAT.parser is None and callable(chat.parser)

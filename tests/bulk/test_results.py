"""Results joined back to the rows: in input order, the latest line per row, flat memory."""

from __future__ import annotations

import json
import sys

import pytest

from airflow_provider_openai_adv.bulk.results import (
    EXPIRED,
    FAILED,
    MISSING,
    SUCCEEDED,
    Result,
    ResultIndex,
    ResultWriter,
    check_output,
    results_in_order,
)
from airflow_provider_openai_adv.bulk.rows import RowSource
from airflow_provider_openai_adv.exceptions import InvalidResponseError, OpenAIValidationError

ROWS = [{"text": f"row {n}"} for n in range(5)]


def ok(custom_id, content):
    body = {"choices": [{"message": {"content": content}}], "usage": {"total_tokens": 3}}
    return {"custom_id": custom_id, "response": {"status_code": 200, "body": body}, "error": None}


def failed(custom_id):
    body = {"error": {"message": "bad", "code": "invalid_value"}}
    return {"custom_id": custom_id, "response": {"status_code": 400, "body": body}, "error": None}


def expired(custom_id):
    return {"custom_id": custom_id, "response": None, "error": {"code": "batch_expired", "message": "expired"}}


def lines(path, *results):
    path.write_text("".join(json.dumps(result) + "\n" for result in results))
    return path


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (ok("a", "x"), SUCCEEDED),
        (failed("a"), FAILED),
        (expired("a"), EXPIRED),
        ({"custom_id": "a"}, FAILED),
        ({"custom_id": "a", "response": "odd", "error": 5}, FAILED),
    ],
)
def test_each_result_line_reads_as_a_status(line, status):
    assert Result.of(line).status == status


def test_rows_get_their_latest_result_in_input_order(tmp_path):
    index = ResultIndex(tmp_path)
    index.add(lines(tmp_path / "output.jsonl", ok("row-3", "three"), ok("row-0", "zero")))
    index.add(lines(tmp_path / "errors.jsonl", failed("row-1"), expired("row-2")))
    index.add(lines(tmp_path / "resubmitted.jsonl", ok("row-2", "two, again")))
    statuses = [(row.custom_id, result.status) for row, result in results_in_order(iter(RowSource(ROWS)), index)]
    assert statuses == [("row-0", SUCCEEDED), ("row-1", FAILED), ("row-2", SUCCEEDED), ("row-3", SUCCEEDED),
                        ("row-4", MISSING)]  # fmt: skip
    index.close()


def test_a_result_file_that_is_not_result_lines_is_our_error(tmp_path):
    index = ResultIndex(tmp_path)
    with pytest.raises(InvalidResponseError, match="line 2 has no custom_id"):
        index.add(lines(tmp_path / "output.jsonl", ok("row-0", "x"), {"id": "no custom id"}))


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_the_writer_writes_one_record_per_row_and_sums_usage(tmp_path, suffix):
    index = ResultIndex(tmp_path)
    index.add(lines(tmp_path / "output.jsonl", *(ok(f"row-{n}", f"answer {n}") for n in range(4)), failed("row-4")))
    destination = tmp_path / "out" / f"results{suffix}"
    with ResultWriter(destination) as writer:
        for row, result in results_in_order(iter(RowSource(ROWS)), index):
            writer.write(row, result)
    summary = writer.summary.to_xcom()
    assert summary == {"path": str(destination), "total": 5, "succeeded": 4, "failed": 1, "expired": 0,
                       "usage": {"total_tokens": 12}}  # fmt: skip
    records = read(destination)
    assert [record["custom_id"] for record in records] == [f"row-{n}" for n in range(5)]
    assert records[0]["text"] == "row 0" and records[4]["status"] == "failed"
    assert sorted(path.name for path in destination.parent.iterdir()) == [destination.name]


def test_a_writer_that_fails_leaves_no_output(tmp_path):
    destination = tmp_path / "results.jsonl"
    with pytest.raises(RuntimeError), ResultWriter(destination) as writer:
        writer.write(next(iter(RowSource(ROWS))), Result(SUCCEEDED, {}))
        raise RuntimeError("the task was killed")
    assert list(tmp_path.iterdir()) == []


def read(path):
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize(
    ("destination", "output_format", "argument"),
    [("out.parquet", None, "output_path"), ("out.data", "parquet", "output_format")],
)
def test_parquet_output_without_pyarrow_is_refused_naming_the_argument(
    monkeypatch, destination, output_format, argument
):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as on a machine without the [parquet] extra
    with pytest.raises(OpenAIValidationError, match=rf"^{argument}: Parquet needs pyarrow"):
        check_output(destination, output_format)


def test_an_output_format_is_named_or_read_from_the_suffix():
    assert check_output("s3://bucket/out.jsonl", None) == "jsonl"
    assert check_output("out.data", "parquet") == "parquet"
    with pytest.raises(OpenAIValidationError, match="^output_path: cannot tell the format"):
        check_output("out.csv", None)
    with pytest.raises(OpenAIValidationError, match="^output_format"):
        check_output("out.jsonl", "xlsx")


def test_with_a_parser_each_answer_gets_its_value_and_one_that_does_not_fit_fails_its_row(tmp_path):
    from airflow_provider_openai_adv.structured import StructuredOutputError

    def parse(body):
        content = body["choices"][0]["message"]["content"]
        if content != "fits":
            raise StructuredOutputError("Label: the answer does not fit the schema at label", field="label")
        return {"label": content}

    index = ResultIndex(tmp_path)
    index.add(lines(tmp_path / "out.jsonl", ok("row-0", "fits"), ok("row-1", "nope"), failed("row-2")))
    with ResultWriter(tmp_path / "results.jsonl", parse=parse) as writer:
        for row, result in results_in_order(iter(RowSource(ROWS[:3])), index):
            writer.write(row, result)
    written = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [(r["status"], r["parsed"]) for r in written] == [
        (SUCCEEDED, {"label": "fits"}),
        (FAILED, None),
        (FAILED, None),
    ]
    assert (
        written[1]["error"]["field"] == "label" and written[1]["response"]["choices"][0]["message"]["content"] == "nope"
    )
    assert writer.summary.counts[FAILED] == 2

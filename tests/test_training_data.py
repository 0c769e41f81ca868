"""Fine-tuning data checks: every error with its line, the formats, the token estimate, streaming.

``check_training_data`` is pure (lines in, a report out); files are opened by the caller
through ``hooks.storage.open_source``, as the hook and the check operator do.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.hooks.storage import open_source
from airflow_provider_openai_adv.training_data import LineError, check_training_data


def check_file(source, *, argument: str = "file", **options):
    """What the hook and the check operator do: open the file, check its lines, name it."""
    with open_source(source, argument=argument) as lines:
        return replace(check_training_data(lines, **options), source=str(source))


def chat(index: int = 0, **extra) -> dict:
    messages = [{"role": "user", "content": f"question {index}"}, {"role": "assistant", "content": f"answer {index}"}]
    return {"messages": messages, **extra}


def jsonl(*examples) -> list[str]:
    return [example if isinstance(example, str) else json.dumps(example) for example in examples]


GOOD = jsonl(*(chat(index) for index in range(10)))
COMPLETION = {"prompt": "2 + 2 =", "completion": " 4"}
PREFERENCE = {
    "input": {"messages": [{"role": "user", "content": "Hi"}]},
    "preferred_output": [{"role": "assistant", "content": "Hello! How can I help?"}],
    "non_preferred_output": [{"role": "assistant", "content": "What?"}],
}


def line_errors(*examples, **options) -> list[tuple[int, str]]:
    """The errors of ``examples`` placed after ten good ones (so their lines start at 11)."""
    report = check_training_data([*GOOD, *jsonl(*examples)], **options)
    return [(error.line, error.message) for error in report.errors]


def test_good_chat_data_passes():
    report = check_training_data(GOOD)
    assert report.ok and report.errors == [] and report.error_count == 0
    assert (report.data_format, report.examples) == ("chat", 10)
    report.raise_for_errors("file")  # no error


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON (Expecting property name enclosed in double quotes, column 2)"),
        ("[1, 2]", "not a JSON object but a list"),
        (chat(prompt="x"), "unknown key 'prompt'"),
        ({"messages": []}, "'messages' must be a non-empty list of messages"),
        ({"tools": []}, "'messages' is missing"),
        ({"messages": ["hi"]}, "messages[0] is not an object but text"),
        ({"messages": [{"role": "bot", "content": "x"}]}, "messages[0]: unknown role 'bot'"),
        ({"messages": [{"content": "x"}]}, "messages[0]: no 'role'; expected one of system, developer"),
        ({"messages": [{"role": "user", "content": 3}]}, "messages[0]: 'content' must be text or a list of parts"),
        ({"messages": [{"role": "user"}]}, "messages[0]: 'content' is missing"),
        ({"messages": [{"role": "assistant", "content": None}]}, "messages[0]: 'content' is missing"),
        ({"messages": [{"role": "user", "content": "x", "mood": 1}]}, "unknown key 'messages[0].mood'"),
        ({"messages": [{"role": "assistant", "content": "x", "weight": 2}]}, "messages[0]: 'weight' must be 0 or 1"),
        (
            {"messages": [{"role": "assistant", "content": "x", "weight": True}]},
            "messages[0]: 'weight' must be 0 or 1, not true",
        ),
        (
            {"messages": [{"role": "user", "content": "x", "weight": 1}]},
            "messages[0]: only assistant messages may have a 'weight'",
        ),
        ({"messages": [{"role": "user", "content": "x"}]}, "'messages' has no assistant message"),
        (chat(tools={}), "'tools' must be a list, not an object"),
        ({"foo": 1}, "unknown key 'foo'"),
    ],
)
def test_each_bad_chat_line_is_reported_with_its_number(line, message):
    [(number, found)] = line_errors(line)
    assert number == 11 and found.startswith(message)


def test_allowed_shapes_of_chat_examples():
    call = {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": "{}"}}
    examples = [
        chat(tools=[{"type": "function", "function": {"name": "add"}}], parallel_tool_calls=False),
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]},
                      {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "sum"},
                      {"role": "assistant", "content": None, "tool_calls": [call]},
                      {"role": "tool", "tool_call_id": "call_1", "content": "3"},
                      {"role": "assistant", "content": "3", "weight": 1, "name": "bot"}]},
    ]  # fmt: skip
    assert line_errors(*examples) == []


def test_blank_lines_a_bom_and_crlf_endings_are_tolerated():
    lines = [b"\xef\xbb\xbf" + json.dumps(chat()).encode() + b"\r\n", b"\r\n", b"   \n"]
    lines += [json.dumps(chat(index)).encode() + b"\r\n" for index in range(9)]
    report = check_training_data(lines)
    assert report.ok and report.examples == 10


def test_text_that_is_not_utf8_is_a_line_error():
    [error] = check_training_data([*GOOD, b'{"messages": "\xff"}']).errors
    assert error.line == 11 and error.message.startswith("not UTF-8 text")


def test_json_nested_beyond_reason_is_a_line_error_not_a_crash():
    deep = '{"messages": ' + "[" * 5000 + "]" * 5000 + "}"
    just_too_deep = '{"messages": ' + "[" * 200 + "]" * 200 + "}"
    assert line_errors(deep, just_too_deep) == [
        (11, "JSON nested too deeply"),
        (12, "JSON nested more than 128 levels deep"),
    ]


@pytest.mark.parametrize(
    ("example", "data_format"),
    [(chat(), "chat"), (COMPLETION, "completion"), (PREFERENCE, "preference")],
)
def test_the_format_is_detected_from_the_first_example(example, data_format):
    report = check_training_data(["", *jsonl(*[example] * 10)])
    assert report.ok and (report.data_format, report.examples) == (data_format, 10)


@pytest.mark.parametrize(
    ("example", "message"),
    [
        ({"prompt": "x", "completion": 4}, "'completion' must be text, not a number"),
        ({"prompt": "x", "completion": "  "}, "'completion' is empty"),
        ({"prompt": "x", "completion": "y", "label": 1}, "unknown key 'label'"),
    ],
)
def test_bad_completion_lines(example, message):
    report = check_training_data(jsonl(*[COMPLETION] * 10, example))
    assert [(error.line, error.message) for error in report.errors] == [(11, message)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"input": "Hi"}, "'input' must be an object with 'messages', not text"),
        ({"input": {"messages": [{"role": "user", "content": "x"}], "extra": 1}}, "unknown key 'input.extra'"),
        ({"preferred_output": None}, "'preferred_output' is missing"),
        ({"non_preferred_output": [{"role": "user", "content": "x"}]}, "'non_preferred_output' has no assistant"),
    ],
)
def test_bad_preference_lines(change, message):
    report = check_training_data(jsonl(*[PREFERENCE] * 10, {**PREFERENCE, **change}))
    [error] = report.errors
    assert error.line == 11 and error.message.startswith(message)


def test_mixed_formats_are_a_whole_file_error_naming_the_lines():
    report = check_training_data([*GOOD, *jsonl(COMPLETION, chat(), COMPLETION)])
    assert report.errors == [
        LineError(0, "mixed formats: line 1 holds a chat example, but 2 lines hold completion examples (lines 11, 13)")
    ]
    assert report.examples == 11


def test_an_explicit_format_rejects_the_others():
    report = check_training_data(jsonl(*[COMPLETION] * 5), data_format="chat")
    assert [str(error) for error in report.errors] == [
        "mixed formats: data_format is chat, but 5 lines hold completion examples (lines 1, 2, 3, …)",
        "0 valid examples; fine-tuning needs at least 10",
    ]


def test_data_no_line_of_which_names_a_format():
    report = check_training_data(['{"text": "hello"}'], min_examples=0)
    assert report.data_format == "unknown"
    assert report.errors[0].line == 1 and report.errors[0].message.startswith("not a fine-tuning example")


def test_too_few_examples_is_a_whole_file_error():
    report = check_training_data(GOOD[:3])
    assert report.errors == [LineError(0, "3 valid examples; fine-tuning needs at least 10")]
    assert check_training_data(GOOD[:3], min_examples=3).ok


def test_the_token_estimate_on_a_known_set():
    example = {
        "messages": [
            {"role": "system", "content": "x" * 8},  # 4 + 2
            {"role": "user", "content": [{"type": "text", "text": "y" * 9}, {"type": "image_url"}]},  # 4 + 3 + 85
            {"role": "assistant", "content": "z" * 40, "name": "bot"},  # 4 + 10 + 1
        ]
    }
    report = check_training_data(jsonl(example, COMPLETION), data_format="chat", min_examples=0)
    assert (report.examples, report.estimated_tokens, report.max_example_tokens_seen) == (1, 113, 113)
    completions = check_training_data(jsonl(COMPLETION, COMPLETION), min_examples=0)  # 2 + 1 per example
    assert completions.estimated_tokens == 6


def test_an_example_over_the_token_limit_is_reported_but_not_counted():
    long = chat(messages=[{"role": "user", "content": "w" * 400}, {"role": "assistant", "content": "ok"}])
    report = check_training_data(jsonl(*GOOD, long), max_example_tokens=100)
    assert [(error.line, error.message) for error in report.errors] == [(11, "about 109 tokens, over the limit of 100")]
    assert report.examples == 10 and report.max_example_tokens_seen == 109
    assert check_training_data(jsonl(*GOOD, long), max_example_tokens=None).ok


def test_the_error_list_is_truncated_but_every_error_counted():
    report = check_training_data([*GOOD, *["{"] * 30], max_errors=5)
    assert [error.line for error in report.errors] == [11, 12, 13, 14, 15]
    assert report.errors_truncated and report.error_count == 30 and not report.ok


def test_raise_for_errors_names_the_argument_and_the_first_failing_lines():
    report = check_training_data([*GOOD[:3], '{"messages": [{"role": "user", "content": "x"}]}', *GOOD[3:], "{"])
    report = replace(report, source="train.jsonl")
    with pytest.raises(
        OpenAIValidationError, match=r"^file: train.jsonl is not valid chat fine-tuning data: "
    ) as raised:
        report.raise_for_errors("file")
    assert str(raised.value).endswith(
        "line 4: 'messages' has no assistant message; line 12: not valid JSON (Expecting property name enclosed "
        "in double quotes, column 2)"
    )


def test_raise_for_errors_says_how_many_more_errors_there_are():
    report = check_training_data([*GOOD, *["[]"] * 8], max_errors=2)
    with pytest.raises(OpenAIValidationError, match=r"line 12: not a JSON object but a list; and 6 more errors$"):
        report.raise_for_errors("training_file")


def test_to_dict_is_json():
    report = check_training_data([*GOOD, "{"])
    assert json.loads(json.dumps(report.to_dict())) == {
        "data_format": "chat", "examples": 10, "estimated_tokens": report.estimated_tokens,
        "max_example_tokens_seen": 13, "errors": [{"line": 11, "message": report.errors[0].message}],
        "error_count": 1, "errors_truncated": False, "source": None, "ok": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("option", "value"), [("data_format", "yaml"), ("min_examples", -1), ("max_example_tokens", 0), ("max_errors", 1.5)]
)
def test_bad_options_name_themselves(option, value):
    with pytest.raises(OpenAIValidationError, match=rf"^{option}:"):
        check_training_data(GOOD, **{option: value})


def test_a_missing_file_names_the_argument(tmp_path):
    with pytest.raises(OpenAIValidationError, match=r"^training_file: .* does not exist"):
        check_file(tmp_path / "absent.jsonl", argument="training_file")


def test_the_lines_are_consumed_one_at_a_time():
    """Any iterable will do — a file, a generator — and it is read as it is checked."""
    consumed = []

    def lines():
        for index in range(12):
            consumed.append(index)
            yield json.dumps(chat(index))

    report = check_training_data(lines())
    assert report.ok and report.examples == 12 and consumed == list(range(12))


def test_a_large_file_is_streamed(tmp_path):
    path = tmp_path / "large.jsonl"
    with path.open("w") as out:
        for index in range(200_000):
            out.write(json.dumps(chat(index)) + "\n")
        out.write('{"messages": []}\n')
    report = check_file(path)
    assert report.examples == 200_000 and report.source == str(path)
    assert [(error.line, error.message) for error in report.errors] == [
        (200_001, "'messages' must be a non-empty list of messages")
    ]


def test_an_object_storage_file_is_read_through_airflow(tmp_path):
    from airflow.sdk import ObjectStoragePath
    from airflow.sdk.io import attach
    from fsspec.implementations.memory import MemoryFileSystem

    attach("memory", fs=MemoryFileSystem())
    with ObjectStoragePath("memory://bucket/train.jsonl").open("wb") as out:
        out.write("\n".join(GOOD).encode())
    report = check_file("memory://bucket/train.jsonl")
    assert report.ok and report.examples == 10 and report.source == "memory://bucket/train.jsonl"
    with pytest.raises(OpenAIValidationError, match=r"^file: memory://bucket/absent.jsonl does not exist"):
        check_file("memory://bucket/absent.jsonl")

"""Properties of the training-data check: any lines give a ``DatasetReport`` (never an
exception), errors name real lines, and valid examples pass as valid, counted."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.training_data import ROLES, DatasetReport, check_training_data
from tests.strategies import TRICKY_TEXT, bounded, deep_json, json_values

ODD = json_values(5)
MESSAGE_KEYS = ["role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal", "x"]
PART = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url"]), "text": st.text(max_size=5)}),
    st.fixed_dictionaries({"type": st.one_of(st.sampled_from(["text", "image_url"]), ODD)}, optional={"text": ODD}),
    ODD,
)
ODD_VALUES = st.one_of(ODD, st.lists(PART, max_size=2), st.sampled_from([0, 1, 2, True, 0.0, *ROLES, "robot"]))


@st.composite
def odd_message(draw):
    """A message that is valid but for (at most) a couple of odd fields, so each check is reached."""
    role = draw(st.sampled_from(ROLES))
    message = {"role": role, "content": draw(st.one_of(st.text(max_size=8), st.lists(PART, min_size=1, max_size=2)))}
    if role == "assistant" and draw(st.booleans()):
        message[draw(st.sampled_from(["tool_calls", "function_call", "weight"]))] = draw(
            st.one_of(st.lists(ODD, min_size=1, max_size=2), st.sampled_from([0, 1]), ODD)
        )
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(MESSAGE_KEYS))
        if draw(st.booleans()):
            message[key] = draw(ODD_VALUES)
        else:
            message.pop(key, None)
    return message if draw(st.integers(0, 9)) else draw(ODD)


@st.composite
def odd_messages(draw):
    messages = draw(st.lists(odd_message(), min_size=1, max_size=4))
    if draw(st.booleans()):
        messages.append({"role": "assistant", "content": draw(st.text(max_size=8))})
    return messages if draw(st.integers(0, 9)) else draw(ODD)


ODD_MESSAGES = odd_messages()
CHAT_EXTRAS = {"tools": st.one_of(st.lists(ODD, max_size=2), ODD), "functions": ODD,
               "parallel_tool_calls": st.one_of(st.booleans(), ODD)}  # fmt: skip
ODD_EXAMPLES = [  # one strategy per format, and one for objects of no format
    st.fixed_dictionaries({"messages": ODD_MESSAGES}, optional=CHAT_EXTRAS),
    st.fixed_dictionaries(
        {"prompt": st.one_of(st.text(max_size=10), ODD), "completion": st.one_of(st.text(max_size=10), ODD)},
        optional={"messages": ODD},
    ),
    st.fixed_dictionaries(
        {
            "input": st.one_of(st.fixed_dictionaries({"messages": ODD_MESSAGES}, optional=CHAT_EXTRAS), ODD),
            "preferred_output": ODD_MESSAGES,
            "non_preferred_output": ODD_MESSAGES,
        }
    ),
    st.dictionaries(st.text(max_size=5), ODD, max_size=3),
]


def as_line(value, draw):
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    ending = draw(st.sampled_from(["", "\n", "\r\n"]))
    line = text + ending
    if draw(st.integers(0, 3)) == 0:
        return line.encode("utf-8", "surrogatepass")  # a lone surrogate is not UTF-8: reported
    return line


ODD_LINES = ["", "  ", "\ufeff{}", "\ufeff", b"\xef\xbb\xbf{}", "{", "9" * 5000, "NaN", b"\xff"]


@st.composite
def hostile_files(draw):
    """A user's file: mostly examples of one format with odd values, and anything else."""
    examples = draw(st.sampled_from(ODD_EXAMPLES))
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        branch = draw(st.integers(0, 11))
        if branch <= 5:
            lines.append(as_line(draw(examples), draw))
        elif branch == 6:
            lines.append(as_line(draw(st.one_of(ODD_EXAMPLES)), draw))
        elif branch == 7:
            lines.append(as_line(draw(ODD), draw))
        elif branch == 8:
            lines.append(draw(deep_json(max_depth=300)))
        elif branch == 9:
            lines.append(draw(st.binary(max_size=30)))
        else:
            lines.append(draw(st.sampled_from(ODD_LINES)))
    return lines


OPTIONS = st.fixed_dictionaries(
    {
        "data_format": st.sampled_from(["auto", "auto", "auto", "chat", "completion", "preference"]),
        "min_examples": st.integers(0, 3),
        "max_example_tokens": st.sampled_from([None, 1, 20, 65_536]),
        "max_errors": st.integers(0, 4),
    }
)


@bounded(80)
@given(hostile_files(), OPTIONS)
def test_any_lines_give_a_report_never_an_exception(lines, options):
    report = check_training_data(iter(lines), **options)
    assert isinstance(report, DatasetReport)
    assert all(0 <= error.line <= len(lines) for error in report.errors)
    assert report.error_count >= len(report.errors) - sum(error.line == 0 for error in report.errors)
    assert len([error for error in report.errors if error.line]) <= options["max_errors"]
    assert 0 <= report.examples <= len(lines)
    json.dumps(report.to_dict())  # the report travels as XCom
    if report.ok:
        report.raise_for_errors("file")
        return
    with pytest.raises(OpenAIValidationError) as caught:
        report.raise_for_errors("file")
    assert str(caught.value).startswith("file: ")


# -- valid examples ---------------------------------------------------------------------

TEXT = st.text(min_size=1, max_size=30).filter(str.strip)
FUNCTION_CALL = st.fixed_dictionaries({"name": TEXT, "arguments": st.just("{}")})
TOOL_CALLS = st.lists(
    st.fixed_dictionaries({"id": TEXT, "type": st.just("function"), "function": FUNCTION_CALL}), min_size=1, max_size=2
)
CONTENT = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.one_of(
            st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=20)}),
            st.fixed_dictionaries({"type": st.just("image_url"), "image_url": st.fixed_dictionaries({"url": TEXT})}),
        ),
        min_size=1,
        max_size=3,
    ),
)
OTHER_MESSAGES = st.builds(
    lambda role, content, name: {"role": role, "content": content, **({"name": name} if name else {})},
    st.sampled_from(["system", "developer", "user", "tool"]),
    CONTENT,
    st.one_of(st.none(), TEXT),
)
ASSISTANT_MESSAGES = st.one_of(
    st.builds(lambda content: {"role": "assistant", "content": content}, CONTENT),
    st.builds(
        lambda content, weight: {"role": "assistant", "content": content, "weight": weight},
        CONTENT,
        st.sampled_from([0, 1]),
    ),
    st.builds(lambda calls: {"role": "assistant", "tool_calls": calls}, TOOL_CALLS),
    st.builds(lambda call: {"role": "assistant", "content": None, "function_call": call}, FUNCTION_CALL),
)


@st.composite
def chat_examples(draw):
    before = draw(st.lists(OTHER_MESSAGES, max_size=3))
    answer = draw(ASSISTANT_MESSAGES)
    after = draw(st.lists(st.one_of(OTHER_MESSAGES, ASSISTANT_MESSAGES), max_size=2))
    example = {"messages": [*before, answer, *after]}
    if draw(st.booleans()):
        example["tools"] = [{"type": "function", "function": {"name": draw(TEXT), "parameters": {}}}]
    if draw(st.booleans()):
        example["parallel_tool_calls"] = draw(st.booleans())
    return example


@bounded(50)
@given(st.lists(chat_examples(), min_size=1, max_size=12), st.sampled_from(["auto", "chat"]), st.data())
def test_valid_chat_examples_pass_and_are_counted(examples, data_format, data):
    lines = [as_valid_line(example, data.draw, first=number == 0) for number, example in enumerate(examples)]
    blank = data.draw(st.sampled_from([[], ["\n"], [b"  \r\n"]]))
    report = check_training_data([*lines, *blank], data_format=data_format, min_examples=len(examples))
    assert report.errors == [] and report.ok
    assert report.examples == len(examples)
    assert report.data_format == "chat"
    assert report.estimated_tokens >= 4 * sum(len(example["messages"]) for example in examples)
    report.raise_for_errors("file")


def as_valid_line(example, draw, *, first):
    text = json.dumps(example, ensure_ascii=draw(st.booleans())) + draw(st.sampled_from(["", "\n", "\r\n"]))
    if first and draw(st.booleans()):
        text = "\ufeff" + text  # a BOM before the first line, as some editors write
    return text.encode() if draw(st.booleans()) else text


@bounded(40)
@given(st.lists(st.tuples(st.text(max_size=30), TEXT), min_size=1, max_size=8))
def test_valid_completion_examples_pass_and_are_counted(pairs):
    lines = [json.dumps({"prompt": prompt, "completion": completion}) for prompt, completion in pairs]
    report = check_training_data(lines, min_examples=len(pairs))
    assert report.ok and report.examples == len(pairs) and report.data_format == "completion"


@bounded(30)
@given(st.lists(TRICKY_TEXT, min_size=1, max_size=5))
def test_a_report_of_any_errors_raises_only_a_validation_error_naming_the_argument(junk):
    report = check_training_data([json.dumps(text) for text in junk], min_examples=1)
    with pytest.raises(OpenAIValidationError, match=r"^file: "):
        report.raise_for_errors("file")

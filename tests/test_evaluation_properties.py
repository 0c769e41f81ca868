"""Properties of the eval-set parser and the JSON metric: a user's file gives examples or
an ``OpenAIValidationError`` naming the argument and the line; ``json_valid`` never raises."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from airflow_provider_openai_adv.evaluation import METRICS, json_valid, parse_eval_set
from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from tests.strategies import TRICKY_TEXT, bounded, deep_json, json_values, odd_bodies

ODD = json_values(5)
PATTERNS = st.one_of(
    st.sampled_from(["(" * 1200 + ")" * 1200, "a{99999999999999999}", "[", "(?P<x>a)(?P<x>b)", "\\", "a**"]),
    st.text(alphabet="()[]{}*+?|\\^$.a1,", max_size=12),
)
GOOD_PATTERNS = st.sampled_from(["a", "(?i)red|blue", "^4$", "x+"])
EXPECTED = st.one_of(st.text(min_size=1, max_size=8).filter(str.strip), PATTERNS)
PART = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image_url"])}, optional={"text": st.one_of(st.text(max_size=5), ODD)}
)
PARTS = st.lists(PART, min_size=1, max_size=2)
USER_MESSAGE = st.fixed_dictionaries(
    {"role": st.just("user"), "content": st.one_of(st.text(min_size=1, max_size=5), PARTS)}
)
ODD_MESSAGE = st.fixed_dictionaries(
    {"role": st.one_of(st.sampled_from(["user", "assistant"]), ODD)},
    optional={"content": st.one_of(st.text(max_size=5), PARTS, ODD)},
)
ODD_RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "prompt": st.one_of(TRICKY_TEXT, ODD),
        "messages": st.one_of(st.lists(ODD_MESSAGE, max_size=2), ODD),
        "expected": st.one_of(TRICKY_TEXT, PATTERNS, ODD),
        "pattern": st.one_of(PATTERNS, ODD),
        "id": st.one_of(st.sampled_from(["a", "b", 1, "1", True]), ODD),
    },
)
RECORDS = st.one_of(  # mostly records that pass the first checks, so the later ones are reached
    st.fixed_dictionaries(
        {"messages": st.lists(USER_MESSAGE, min_size=1, max_size=2), "expected": EXPECTED},
        optional={"pattern": st.one_of(GOOD_PATTERNS, PATTERNS), "id": st.one_of(st.sampled_from(["a", "b", 1]), ODD)},
    ),
    st.fixed_dictionaries(
        {"prompt": st.text(min_size=1, max_size=8).filter(str.strip), "pattern": st.one_of(GOOD_PATTERNS, PATTERNS)},
        optional={"expected": EXPECTED, "id": st.sampled_from(["a", 1])},
    ),
    ODD_RECORDS,
)


@st.composite
def eval_files(draw):
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 9))
        if kind <= 6:
            lines.append(json.dumps(draw(RECORDS), ensure_ascii=draw(st.booleans())))
        elif kind == 7:
            lines.append(draw(deep_json(max_depth=300)))
        else:
            lines.append(draw(st.one_of(st.text(max_size=20), odd_bodies())))
    separator = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return separator.join(lines) + draw(st.sampled_from(["", separator]))


ARGUMENT = st.sampled_from(["eval_file", "eval_set", "data"])


@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")  # re's warning for "[[" in a pattern
@bounded(80)
@given(eval_files(), ARGUMENT)
@example('{"prompt": "x", "expected": "y", "pattern": "' + "(" * 1200 + ")" * 1200 + '"}', "eval_file")
@example('{"prompt": "x", "expected": "y", "pattern": "a{99999999999999999}"}', "eval_file")
@example('{"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}], "expected": "x"}', "eval_file")
def test_any_file_gives_examples_or_a_validation_error_naming_the_argument_and_line(text, argument):
    try:
        examples = parse_eval_set(text, argument=argument)
    except OpenAIValidationError as error:
        message = str(error)
        assert message.startswith(f"{argument}: ")
        assert re.match(rf"{argument}: (line \d+: |holds no examples)", message), message
        return
    assert examples
    for parsed in examples:
        assert isinstance(parsed.id, str) and parsed.messages
        parsed.applicable(METRICS)  # the regex metric compiles the expected text: never raises
        assert isinstance(parsed.prompt, str)


@bounded(60)
@given(
    st.lists(
        st.tuples(st.text(min_size=1).filter(str.strip), st.text(min_size=1).filter(str.strip)), min_size=1, max_size=6
    ),
    st.booleans(),
)
@example([("a\u2028b", "c\x85d")], False)  # U+2028 and NEL are line breaks to str.splitlines, not to JSON lines
def test_a_valid_eval_set_parses_whole(pairs, ascii_only):
    text = "\n".join(
        json.dumps({"prompt": prompt, "expected": expected}, ensure_ascii=ascii_only) for prompt, expected in pairs
    )
    examples = parse_eval_set(text)
    assert [(example.prompt, example.expected) for example in examples] == pairs
    assert [example.id for example in examples] == [str(number) for number in range(1, len(pairs) + 1)]


@bounded(100)
@given(st.one_of(st.text(max_size=40), odd_bodies(), deep_json()))
def test_json_valid_never_raises(answer):
    assert json_valid(answer) in (0.0, 1.0)


def test_a_line_that_fails_names_its_number():
    text = '{"prompt": "a", "expected": "b"}\n\n{"prompt": "c"}\n'
    with pytest.raises(OpenAIValidationError, match=r"^eval_file: line 3: "):
        parse_eval_set(text)

"""Properties of ``safe_json``: any text or bytes load or raise ``UnsafeJSONError``, the depth
limit holds exactly, and the bracket scanner measures nesting as a walk of the value does."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_openai_adv.safe_json import MAX_DEPTH, UnsafeJSONError, loads, nesting_depth
from tests.strategies import bounded, deep_json, depth_of, json_text, json_values, nested, odd_bodies

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet='[]{}",:\\0123456789.eE+-ntrufalse \n', max_size=60),
    odd_bodies(),
    deep_json(),
)


@bounded(150)
@given(st.one_of(HOSTILE_TEXT, HOSTILE_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")), st.binary()))
def test_anything_loads_or_raises_unsafe_json_error(data):
    with contextlib.suppress(UnsafeJSONError):  # any other exception fails the property
        loads(data)


@bounded(100)
@given(json_values(16), st.data())
def test_nesting_depth_agrees_with_a_walk_of_the_value(value, data):
    text = json_text(value, data.draw)
    assert nesting_depth(text) == depth_of(value)
    assert loads(text) == value


@bounded(40)
@given(st.integers(0, 400), st.sampled_from([None, "[", '"]"', {"k": "}"}]), st.integers(1, 200))
def test_the_depth_limit_is_exact(depth, leaf, max_depth):
    text = json.dumps(nested(depth, leaf))
    expected = depth + depth_of(leaf)
    assert nesting_depth(text) == expected
    if expected <= max_depth:
        assert loads(text, max_depth=max_depth) == nested(depth, leaf)
    else:
        with pytest.raises(UnsafeJSONError, match="nested"):
            loads(text, max_depth=max_depth)


def test_the_default_limit_is_max_depth():
    assert MAX_DEPTH == 128
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) == nested(MAX_DEPTH - 1, [])
    with pytest.raises(UnsafeJSONError, match="nested more than 128"):
        loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))

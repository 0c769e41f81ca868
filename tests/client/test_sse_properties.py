"""Properties of the server-sent-events decoder: any bytes, however split, give events or
``StreamError``; the split never changes the events; lines and events are bounded; the
API key never reaches an error."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from airflow_provider_openai_adv.client.sse import iter_events, iter_json_events, iter_lines
from airflow_provider_openai_adv.exceptions import StreamError
from tests.strategies import API_KEYS, LINE_ENDS, bounded, chunked, json_escaped, sse_streams, unescaped


def outcome(parser, chunks, **options):
    """What a parser gives for ``chunks``: its items and whether it stopped on ``StreamError``."""
    items = []
    try:
        for item in parser(chunks, **options):
            items.append(item)
    except StreamError:
        return items, "StreamError"
    return items, None


@st.composite
def split_streams(draw):
    data = draw(st.one_of(sse_streams(), st.binary(max_size=120)))
    return data, draw(chunked(data))


@bounded(100)
@given(split_streams(), st.booleans())
def test_any_bytes_in_any_chunks_raise_only_stream_error(stream, expect_done):
    _, chunks = stream
    for parser, options in (
        (iter_lines, {}),
        (iter_events, {}),
        (iter_json_events, {"expect_done": expect_done, "api_key": "sk-test-key"}),
    ):
        outcome(parser, chunks, **options)  # anything but StreamError fails the test


@bounded(100)
@given(split_streams(), st.sampled_from([None, 1, 4, 16, 64]))
@example((b"a\r\n\nb", [b"a\r", b"\n", b"\n", b"b"]), None)  # a LF after a CR-LF split across chunks
@example((b"\r\n\r\n", [b"\r", b"\n", b"\r", b"\n"]), None)
def test_how_the_bytes_are_split_never_changes_the_result(stream, max_bytes):
    data, chunks = stream
    options = {} if max_bytes is None else {"max_bytes": max_bytes}
    for parser in (iter_lines, iter_events):
        assert outcome(parser, chunks, **options) == outcome(parser, [data], **options), parser.__name__
    assert outcome(iter_json_events, chunks, expect_done=False) == outcome(iter_json_events, [data], expect_done=False)


@pytest.mark.parametrize("value", ["\u00b2", "\u0661\u0662", "9" * 5000, "-1", "1.5"])
def test_a_retry_field_that_is_not_a_short_run_of_ascii_digits_is_ignored(value):
    """``str.isdigit`` is true for "²" and for 5,000 nines, which ``int`` refuses (ValueError)."""
    stream = f"retry: {value}\ndata: x\n\n".encode()
    assert [event.retry for event in iter_events([stream])] == [None]


def test_a_long_line_that_arrives_whole_in_one_chunk_is_refused():
    with pytest.raises(StreamError, match="more than 10 bytes"):
        list(iter_lines([b"data: " + b"y" * 50 + b"\nnext\n"], max_bytes=10))


@bounded(100)
@given(st.data(), st.integers(1, 40), st.integers(1, 30))
def test_a_line_over_max_bytes_is_refused_however_it_arrives(data, max_bytes, excess):
    before = data.draw(sse_streams(payloads=st.sampled_from([b"{}", b"1", b"x"])))
    long_line = b"data: " + b"y" * (max_bytes + excess)
    stream = before + long_line + data.draw(st.sampled_from([b"", *LINE_ENDS]))
    chunks = data.draw(chunked(stream))
    lines, stopped = outcome(iter_lines, chunks, max_bytes=max_bytes)
    assert stopped == "StreamError"
    assert all(len(line.encode()) <= max_bytes for line in lines)


@bounded(100)
@given(st.integers(1, 60), st.lists(st.text(alphabet="ab", max_size=10), min_size=1, max_size=20), st.data())
def test_an_event_over_max_bytes_is_refused_and_none_is_yielded_larger(max_bytes, values, data):
    stream = b"".join(b"data: " + value.encode() + b"\n" for value in values) + b"\n"
    events, stopped = outcome(iter_events, data.draw(chunked(stream)), max_bytes=max_bytes)
    joined = "\n".join(values)
    if len(joined.encode()) >= max_bytes:  # each data line counts its newline
        assert stopped == "StreamError"
    for event in events:
        assert len(event.data.encode()) <= max_bytes


SECRET_TEMPLATES = [
    'data: {{"error": {{"message": "Incorrect API key provided: {key}", "type": "invalid_request_error"}}}}',
    'data: {{"error": "{key}"}}',
    'data: {{"error": {{"type": "{key}", "code": "{key}", "param": "{key}"}}}}',
    'data: {{"error": {{"message": ["{key}", {{"{key}": "{key}"}}]}}}}',
    'data: {{"{key}": 1, "error": {{"message": 7}}}}',
    'event: error\ndata: {{"detail": "{key}"}}',
    'data: "{key}"',
    'data: ["{key}"]',
    "data: not json {key}",
    'data: {{"unterminated": "{key}"',
    'data: {{"choices": []}}\n\ndata: {{"error": {{"message": "{key}"}}}}',
]


@bounded(150)
@given(API_KEYS, st.sampled_from(SECRET_TEMPLATES), st.booleans(), st.data())
def test_the_api_key_never_reaches_an_error(api_key, template, escape, data):
    spelled = json_escaped(api_key, data.draw) if escape else api_key
    stream = (template.format(key=spelled) + "\n\n" + data.draw(st.sampled_from(["", "data: [DONE]\n\n"]))).encode()
    with pytest.raises(StreamError) as caught:
        list(iter_json_events(data.draw(chunked(stream)), api_key=api_key))
    error = caught.value
    for text in (str(error), repr(error), json.dumps(error.error, default=repr)):
        assert api_key not in text
        assert api_key not in unescaped(text), "the key is readable once its JSON escapes are decoded"

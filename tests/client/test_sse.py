"""Server-sent events: the decoder's edge cases, and streams from the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.client.sse import ServerSentEvent, iter_events, iter_json_events, iter_lines
from airflow_provider_openai_adv.exceptions import StreamError

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "one two three four"}]}


def test_lines_split_on_every_line_ending_across_chunk_boundaries():
    chunks = [b"a\r", b"\nb\rc", b"\n", b"d\r\n\r", b"\ne"]
    assert list(iter_lines(chunks)) == ["a", "b", "c", "d", "", "e"]


def test_multibyte_characters_split_across_chunks_survive():
    encoded = "data: héllo ✓\n\n".encode()
    chunks = [encoded[i : i + 1] for i in range(len(encoded))]
    assert [event.data for event in iter_events(chunks)] == ["héllo ✓"]


def test_events_join_data_lines_and_skip_comments():
    stream = [b": keep-alive\n\nevent: update\nid: 7\nretry: 1500\ndata: line one\ndata: line two\n\n"]
    assert list(iter_events(stream)) == [ServerSentEvent("line one\nline two", "update", "7", 1500)]


def test_json_events_stop_at_done():
    stream = [b'data: {"n": 1}\n\ndata: {"n": 2}\n\ndata: [DONE]\n\ndata: {"n": 3}\n\n']
    assert list(iter_json_events(stream)) == [{"n": 1}, {"n": 2}]


def test_an_error_payload_raises_with_openais_details():
    stream = [b'data: {"n": 1}\n\ndata: {"error": {"message": "overloaded", "type": "server_error"}}\n\n']
    events = iter_json_events(stream)
    assert next(events) == {"n": 1}
    with pytest.raises(StreamError, match="overloaded.*server_error") as caught:
        next(events)
    assert caught.value.error["type"] == "server_error"


def test_a_stream_without_done_is_incomplete():
    with pytest.raises(StreamError, match="ended before"):
        list(iter_json_events([b'data: {"n": 1}\n\n']))


def test_a_stream_without_done_is_accepted_when_none_is_expected():
    assert list(iter_json_events([b'data: {"n": 1}\n\n'], expect_done=False)) == [{"n": 1}]


def test_a_non_json_event_is_reported():
    with pytest.raises(StreamError, match="not valid JSON"):
        list(iter_json_events([b"data: hello\n\n"]))


def test_a_chat_stream_from_the_emulator_ends_with_usage(openai_emulator, make_client):
    chunks = list(
        make_client().stream_events(
            "chat/completions", {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
        )
    )
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "Emulated reply from gpt-4o-mini: one two three four"
    assert chunks[-1]["usage"]["total_tokens"] > 0


def test_an_error_event_mid_stream_raises(openai_emulator, make_client):
    openai_emulator.add_fault(path="/v1/chat/completions", stream_error_after=2)
    received = []
    with pytest.raises(StreamError, match="server_error"):
        for chunk in make_client().stream_events("chat/completions", {**CHAT, "stream": True}):
            received.append(chunk)
    assert len(received) == 2


def test_a_truncated_stream_raises(openai_emulator, make_client):
    openai_emulator.add_fault(path="/v1/chat/completions", stream_cut_after=3)
    received = []
    with pytest.raises(StreamError):
        for chunk in make_client().stream_events("chat/completions", {**CHAT, "stream": True}):
            received.append(chunk)
    assert len(received) == 3


def test_streams_read_to_the_end_reuse_the_connection(openai_emulator, make_client):
    client = make_client()
    for _ in range(3):
        list(client.stream_events("chat/completions", {**CHAT, "stream": True}))
    assert len({entry.peer for entry in openai_emulator.requests}) == 1


# -- hostile streams -------------------------------------------------------------------


class CountingChunks:
    """A stream of ``count`` chunks of ``size`` bytes without a line end, counting what is read."""

    def __init__(self, count: int, size: int) -> None:
        self.count, self.size, self.read = count, size, 0

    def __iter__(self):
        for _ in range(self.count):
            self.read += 1
            yield b"x" * self.size


def test_a_line_longer_than_the_limit_is_refused_as_soon_as_it_is_over():
    chunks = CountingChunks(count=10_000, size=1024)
    with pytest.raises(StreamError, match="a line of more than 65536 bytes"):
        list(iter_lines(chunks, max_bytes=64 * 1024))
    assert chunks.read == 65  # it stopped reading at the first chunk past the limit


def test_an_event_of_many_short_data_lines_is_bounded_too():
    stream = [b"data: " + b"y" * 100 + b"\n"] * 1000
    with pytest.raises(StreamError, match="an event of more than"):
        list(iter_events(stream, max_bytes=10_000))


def test_the_work_per_chunk_does_not_grow_with_the_pending_line(monkeypatch):
    """Each chunk is scanned once: with a line that never ends, the bytes examined stay
    proportional to the bytes received (the old decoder re-scanned the whole pending line
    per chunk, quadratic: 16 MB without a newline took 15 s)."""
    from airflow_provider_openai_adv.client import sse

    scanned = []
    real_split = sse._LINE_END.split

    class Counting:
        def split(self, data):
            scanned.append(len(data))
            return real_split(data)

    monkeypatch.setattr(sse, "_LINE_END", Counting())
    list(iter_lines([b"z" * 100] * 2000, max_bytes=1 << 20))
    assert sum(scanned) == 200_000


def test_deeply_nested_json_in_an_event_is_our_error_not_a_recursion_error():
    with pytest.raises(StreamError, match="nested too deeply"):
        list(iter_json_events([b"data: " + b"[" * 100_000 + b"]" * 100_000 + b"\n\n"]))


def test_bytes_that_are_not_utf8_are_our_error():
    with pytest.raises(StreamError, match="not UTF-8"):
        list(iter_json_events([b'data: {"a": "\xff\xfe"}\n\n']))


def test_what_the_server_says_is_quoted_only_once_the_key_is_masked():
    key = "key-without-a-known-prefix-0123456789"
    escaped = key.replace("-", "\\u002d")
    error_event = b'event: error\ndata: {"message": "quota for ' + escaped.encode() + b'"}\n\n'
    with pytest.raises(StreamError) as caught:
        list(iter_json_events([error_event], api_key=key))
    assert key not in str(caught.value) and key not in repr(caught.value.error)
    with pytest.raises(StreamError) as caught:
        list(iter_json_events([b"data: oops " + key.encode() + b"\n\n"], api_key=key))
    assert key not in str(caught.value)

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
    with pytest.raises(StreamError, match="not JSON"):
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

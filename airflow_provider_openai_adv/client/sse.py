"""Server-sent events, as OpenAI streams them (``stream=True``).

The decoder follows the WHATWG event-stream rules: lines end in CRLF, LF or CR; ``data:``
lines of one event are joined with newlines; a blank line dispatches the event; lines
starting with ``:`` are comments. :func:`iter_json_events` adds OpenAI's conventions on
top: ``data: [DONE]`` ends the stream, an ``error`` event or an ``{"error": ...}``
payload raises :class:`~airflow_provider_openai_adv.exceptions.StreamError`, and a
stream that stops before ``[DONE]`` raises too instead of passing for complete.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from airflow_provider_openai_adv.exceptions import StreamError

DONE = "[DONE]"


@dataclass(frozen=True)
class ServerSentEvent:
    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        return json.loads(self.data)


def iter_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Split a byte stream into lines, whatever the line ending and chunk boundaries."""
    pending = b""
    for chunk in chunks:
        if not chunk:
            continue
        pending += chunk
        # A CR at the very end may be the first half of a CRLF split across chunks.
        complete, tail = (pending[:-1], pending[-1:]) if pending.endswith(b"\r") else (pending, b"")
        lines = complete.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        pending = lines.pop() + tail
        for line in lines:
            yield line.decode("utf-8")
    if pending:
        yield pending.rstrip(b"\r").decode("utf-8")


def iter_events(chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """Decode server-sent events from a byte stream."""
    data: list[str] = []
    event = event_id = None
    retry = None
    for line in iter_lines(chunks):
        if not line:
            if data or event is not None:
                yield ServerSentEvent("\n".join(data), event, event_id, retry)
            data, event, retry = [], None, None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id":
            event_id = value
        elif name == "retry" and value.isdigit():
            retry = int(value)
    if data:  # an event not closed by a blank line: the stream was cut mid-event
        yield ServerSentEvent("\n".join(data), event, event_id, retry)


def iter_json_events(chunks: Iterable[bytes], *, expect_done: bool = True) -> Iterator[dict[str, Any]]:
    """Yield each event's JSON payload until ``[DONE]``.

    :param expect_done: the stream must end with ``data: [DONE]`` (chat and completions
        streams do); a stream that ends without it raises ``StreamError``.
    """
    for sse in iter_events(chunks):
        if sse.data == DONE:
            return
        try:
            payload = sse.json()
        except ValueError as error:
            raise StreamError(f"stream sent an event that is not JSON: {sse.data[:200]!r}") from error
        if sse.event == "error" or (isinstance(payload, dict) and payload.get("error")):
            error = payload.get("error", payload) if isinstance(payload, dict) else {"message": str(payload)}
            raise StreamError(f"stream error: {_describe(error)}", error=error if isinstance(error, dict) else None)
        yield payload
    if expect_done:
        raise StreamError("stream ended before data: [DONE]; the answer is incomplete")


def _describe(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    details = ", ".join(f"{key}={error[key]}" for key in ("type", "code", "param") if error.get(key))
    message = error.get("message") or "<no message>"
    return f"{message} ({details})" if details else message

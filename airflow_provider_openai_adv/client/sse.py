"""Server-sent events, as OpenAI streams them (``stream=True``).

The decoder follows the WHATWG event-stream rules: lines end in CRLF, LF or CR; ``data:``
lines of one event are joined with newlines; a blank line dispatches the event; lines
starting with ``:`` are comments. :func:`iter_json_events` adds OpenAI's conventions on
top: ``data: [DONE]`` ends the stream, an ``error`` event or an ``{"error": ...}``
payload raises :class:`~airflow_provider_openai_adv.exceptions.StreamError`, and a
stream that stops before ``[DONE]`` raises too instead of passing for complete.

The stream is hostile input: a line (or an event) longer than ``max_bytes`` raises
``StreamError`` instead of growing memory without bound, each chunk is scanned once
(the work is linear in the bytes received, however they are split), and whatever the
server says is quoted only after the API key has been masked in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from airflow_provider_openai_adv.exceptions import StreamError, redact_value, redacted_excerpt
from airflow_provider_openai_adv.safe_json import UnsafeJSONError, loads

DONE = "[DONE]"
MAX_EVENT_BYTES = 32 << 20  # a whole response in one event (Responses API) stays far below this
_LINE_END = re.compile(rb"\r\n|\r|\n")
# ASCII digits only, as the spec says ("²".isdigit() is true, and int() refuses it), and
# few enough of them for int() (5,000 digits raise ValueError); a longer value is ignored.
_RETRY = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class ServerSentEvent:
    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


def iter_lines(chunks: Iterable[bytes], *, max_bytes: int = MAX_EVENT_BYTES) -> Iterator[str]:
    """Split a byte stream into lines, whatever the line ending and chunk boundaries."""
    pending = bytearray()
    after_cr = False  # the last chunk ended in CR: a LF starting the next one is its other half
    for chunk in chunks:
        if after_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]
            after_cr = False  # the pair is complete: a LF in the next chunk is a line end of its own
        if not chunk:
            continue
        after_cr = chunk.endswith(b"\r")
        *complete, rest = _LINE_END.split(chunk)
        if complete:
            pending += complete[0]
            yield _decode(pending, max_bytes)
            pending = bytearray()
            yield from (_decode(line, max_bytes) for line in complete[1:])
        pending += rest
        _check_length(pending, max_bytes)
    if pending:
        yield _decode(pending, max_bytes)


def _check_length(line: bytes | bytearray, max_bytes: int) -> None:
    """A line over ``max_bytes`` is refused whether it arrived in one chunk or in many."""
    if len(line) > max_bytes:
        raise StreamError(f"the stream sent a line of more than {max_bytes} bytes; refused")


def _decode(line: bytes | bytearray, max_bytes: int) -> str:
    _check_length(line, max_bytes)
    try:
        return bytes(line).decode("utf-8")
    except UnicodeDecodeError as error:
        raise StreamError(f"the stream sent a line that is not UTF-8 (byte {error.start})") from None


def iter_events(chunks: Iterable[bytes], *, max_bytes: int = MAX_EVENT_BYTES) -> Iterator[ServerSentEvent]:
    """Decode server-sent events from a byte stream."""
    data: list[str] = []
    size = 0
    event = event_id = None
    retry = None
    for line in iter_lines(chunks, max_bytes=max_bytes):
        if not line:
            if data or event is not None:
                yield ServerSentEvent("\n".join(data), event, event_id, retry)
            data, size, event, retry = [], 0, None, None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
            size += len(value) + 1
            if size > max_bytes:
                raise StreamError(f"the stream sent an event of more than {max_bytes} bytes; refused")
        elif name == "event":
            event = value
        elif name == "id":
            event_id = value
        elif name == "retry" and _RETRY.fullmatch(value):
            retry = int(value)
    if data:  # an event not closed by a blank line: the stream was cut mid-event
        yield ServerSentEvent("\n".join(data), event, event_id, retry)


def iter_json_events(
    chunks: Iterable[bytes], *, expect_done: bool = True, api_key: str | None = None
) -> Iterator[dict[str, Any]]:
    """Yield each event's JSON object until ``[DONE]``.

    :param expect_done: the stream must end with ``data: [DONE]`` (chat and completions
        streams do); a stream that ends without it raises ``StreamError``.
    :param api_key: masked in anything the server sent that ends up in an error.
    """
    for sse in iter_events(chunks):
        if sse.data == DONE:
            return
        try:
            payload = loads(sse.data)
        except UnsafeJSONError as problem:
            quoted = redacted_excerpt(sse.data, 200, api_key)
            raise StreamError(f"the stream sent an event that is {problem}: {quoted!r}") from None
        payload = payload if isinstance(payload, dict) else {"error": {"message": f"not a JSON object: {payload!r}"}}
        if sse.event == "error" or payload.get("error"):
            error = redact_value(payload.get("error") or payload, api_key)
            error = error if isinstance(error, dict) else {"message": str(error)}
            raise StreamError(f"stream error: {_describe(error)}", error=error)
        yield payload
    if expect_done:
        raise StreamError("stream ended before data: [DONE]; the answer is incomplete")


def _describe(error: dict[str, Any]) -> str:
    details = ", ".join(f"{key}={error[key]}" for key in ("type", "code", "param") if error.get(key))
    message = error.get("message") or "<no message>"
    return f"{message} ({details})" if details else str(message)

"""Raw ASGI plumbing: reading bodies, sending answers, dropping connections, lifespan.

No policy here (keys, faults, limits, the journal are ``app.py``'s): only how bytes move
between uvicorn and a :class:`~airflow_provider_openai_adv.testing.http.Request` or
:class:`~airflow_provider_openai_adv.testing.http.Response`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from airflow_provider_openai_adv.testing.http import Request, Response
from airflow_provider_openai_adv.testing.journal import JOURNAL_BODY_LIMIT
from airflow_provider_openai_adv.testing.multipart import StreamingFormReader

FILE_CHUNK = 1 << 20


class DropConnection(Exception):
    """Raised by a response stream to cut the connection where it stands."""


async def receive_body(request: Request, receive: Any) -> None:
    """Read the body: multipart files go to disk as they arrive, anything else to memory."""
    if request.content_type == "multipart/form-data":
        await _receive_form(request, receive)
        return
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    request.body = b"".join(chunks)


async def _receive_form(request: Request, receive: Any) -> None:
    """Spool a multipart body's files to disk; keep the raw body too while it is small (for the journal)."""
    reader = StreamingFormReader(request.headers["content-type"], request.state.temp_path)
    kept: bytearray | None = bytearray()
    try:
        more = True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            reader.feed(chunk)
            if kept is not None:
                kept += chunk
                kept = kept if len(kept) <= JOURNAL_BODY_LIMIT else None
            more = message.get("more_body", False)
        request.form = reader.finish()
    except BaseException:
        reader.abort()
        raise
    request.files_received = {
        name: [{"filename": f.filename, "content_type": f.content_type, "size": f.size} for f in files]
        for name, files in request.form.files.items()
    }
    request.body = bytes(kept) if kept is not None else b""
    request.body_complete = kept is not None


async def send_response(send: Any, response: Response, extra_headers: list[tuple[str, str]]) -> None:
    """Send a body, a file (in chunks) or a stream; a stream raising :class:`DropConnection` is cut."""
    headers = [(b"content-type", response.content_type.encode())]
    headers += [(name.encode(), value.encode("latin-1")) for name, value in (*response.headers, *extra_headers)]
    if response.file is not None:
        await _send_file(send, response, headers)
    elif response.stream is not None:
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        try:
            async for chunk in response.stream:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except DropConnection:
            await drop_connection(send)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    else:
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body, "more_body": False})


async def _send_file(send: Any, response: Response, headers: list[tuple[bytes, bytes]]) -> None:
    assert response.file is not None
    size = response.file.stat().st_size
    headers = [*headers, (b"content-length", str(size).encode())]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    with response.file.open("rb") as handle:
        while chunk := handle.read(FILE_CHUNK):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def drop_connection(send: Any) -> None:
    """Close the connection without (finishing) an answer, as a failing network would."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        transport.close()
        await asyncio.sleep(0)  # let the server notice before the app returns
        await asyncio.sleep(0)
        return
    # Not uvicorn's protocol: promise a body and never send it; the server then closes.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})


async def lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

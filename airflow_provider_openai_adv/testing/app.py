"""The emulator as an ASGI application: auth, faults, limits, routing, a request journal.

Every request goes through the same steps: injected latency → body read (JSON into
memory, multipart files to disk) → Bearer key check → injected error → rate limits →
handler → headers (``x-request-id``, ``x-ratelimit-*``) → journal → answer.
Paths under ``/_emulator/`` control the emulator itself (faults, limits, clock, reset)
and need no key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_openai_adv.testing.faults import Fault, FaultSet, RateLimit
from airflow_provider_openai_adv.testing.http import APIError, Request, Response, error_body, json_response
from airflow_provider_openai_adv.testing.multipart import StreamingFormReader
from airflow_provider_openai_adv.testing.routes import ROUTER
from airflow_provider_openai_adv.testing.state import EmulatorState

log = logging.getLogger("airflow_provider_openai_adv.testing")

API_PREFIX = "/v1"
ADMIN_PREFIX = "/_emulator/"
JOURNAL_BODY_LIMIT = 1 << 20  # bodies larger than this are not kept in the journal
FILE_CHUNK = 1 << 20

MISSING_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


def masked_key(key: str) -> str:
    """How OpenAI quotes a wrong key back: its start and its last four characters."""
    return f"{key[:3]}{'*' * max(0, len(key) - 7)}{key[-4:]}" if len(key) > 8 else "***"


@dataclass
class RecordedRequest:
    """One request the emulator answered, as a test may want to inspect it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    content_type: str
    body: bytes | None
    form: dict[str, list[str]] | None
    files: dict[str, list[dict[str, Any]]] | None
    status: int = 0
    peer: str = ""  # the client's address and port: one per TCP connection
    response_headers: dict[str, str] = field(default_factory=dict)
    response_content_type: str = ""
    response_body: bytes | None = None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def response_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body else None

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data["body"] = self.body.decode("utf-8", "replace") if self.body is not None else None
        data["response_body"] = (
            self.response_body.decode("utf-8", "replace") if self.response_body is not None else None
        )
        return data


@dataclass
class EmulatorSettings:
    api_key: str | None = None  # when set, only this key is accepted
    latency: float = 0.0  # seconds added to every answer
    journal_size: int = 10_000  # requests remembered for inspection; 0 to keep none


class EmulatorApp:
    """The ASGI callable; one per emulator."""

    def __init__(self, state: EmulatorState, settings: EmulatorSettings | None = None, seed: int = 0) -> None:
        self.state = state
        self.settings = settings or EmulatorSettings()
        self.faults = FaultSet(seed)
        self.limits: tuple[RateLimit, ...] = ()
        self.journal: deque[RecordedRequest] = deque(maxlen=self.settings.journal_size or 1)
        self.generation = 0  # bumped by reset(): a request that began before is not journalled after

    # -- control, shared by the Python handle and the /_emulator/ endpoints -----------

    def reset(self) -> None:
        self.generation += 1
        self.state.reset()
        self.faults.clear()
        self.limits = ()
        self.journal.clear()

    def add_limit(self, limit: RateLimit) -> RateLimit:
        self.limits = (*self.limits, limit)
        return limit

    # -- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, self.state)
        if not request.path.startswith(ADMIN_PREFIX):
            await self._serve(request, receive, send)
            return
        await receive_body(request, receive)
        handler, request.path_params, _ = ROUTER.resolve(request.method, request.path)
        if handler is None:
            await send_response(send, self._admin(request), [])
            return
        # A key-free route of a module: generated images behind the URLs the API hands out.
        try:
            response = handler(request)
        except APIError as error:
            response = error.response()
        if self.settings.journal_size:
            self._record(request, response, [])
        await send_response(send, response, [])

    async def _serve(self, request: Request, receive: Any, send: Any) -> None:
        started = time.monotonic()
        generation = self.generation
        faults = self.faults.pick(request.method, request.path) if self.faults else []
        latency = max([self.settings.latency, *(fault.latency for fault in faults)])
        if latency:
            await asyncio.sleep(latency)
        if any(fault.drop for fault in faults):
            await drop_connection(send)
            return
        extra_headers: list[tuple[str, str]] = []
        try:
            await receive_body(request, receive)
            response = self._answer(request, faults, extra_headers)
        except APIError as error:
            response = error.response()
        extra_headers += [
            ("x-request-id", "req_" + secrets.token_hex(16)),
            ("openai-processing-ms", str(int((time.monotonic() - started) * 1000))),
            ("openai-version", "2020-10-01"),
        ]
        if self.settings.journal_size and generation == self.generation:
            self._record(request, response, extra_headers)
        try:
            await send_response(send, response, extra_headers, faults)
        finally:
            if request.form is not None:
                request.form.discard()

    def _answer(self, request: Request, faults: list[Fault], extra_headers: list[tuple[str, str]]) -> Response:
        self._authenticate(request)
        for fault in faults:
            if fault.status is not None:
                status, body, headers = fault.error()
                raise InjectedError(status, body, headers)
        self._apply_limits(request, extra_headers)
        if not request.path.startswith(API_PREFIX + "/"):
            raise APIError(404, f"Invalid URL ({request.method} {request.path})")
        handler, params, path_known = ROUTER.resolve(request.method, request.path[len(API_PREFIX) :])
        if handler is None:
            raise APIError(405 if path_known else 404, f"Invalid URL ({request.method} {request.path})")
        request.path_params = params
        try:
            return handler(request)
        except APIError:
            raise
        except Exception as error:  # a bug in a handler: answer like OpenAI's 500, and say why
            log.exception("emulator handler failed for %s %s", request.method, request.path)
            raise APIError(500, f"Emulator error: {error!r}", error_type="server_error") from error

    def _authenticate(self, request: Request) -> None:
        authorization = request.headers.get("authorization", "")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise APIError(401, MISSING_KEY_MESSAGE)
        expected = self.settings.api_key
        if expected is not None and not secrets.compare_digest(key.strip(), expected):
            raise APIError(
                401,
                f"Incorrect API key provided: {masked_key(key.strip())}. "
                "You can find your API key at https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )

    def _apply_limits(self, request: Request, extra_headers: list[tuple[str, str]]) -> None:
        for limit in self.limits:
            if not limit.matches(request.path):
                continue
            admitted, headers, wait = limit.admit(requested_tokens(request))
            extra_headers.extend(headers)
            if not admitted:
                raise APIError(
                    429,
                    f"Rate limit reached for requests on this emulator "
                    f"(limit: {limit.rpm} RPM, {limit.tpm} TPM). Please try again in {wait:.3f}s.",
                    error_type="requests",
                    code="rate_limit_exceeded",
                    headers=[("retry-after", str(max(1, round(wait)))), ("retry-after-ms", str(int(wait * 1000)))],
                )

    def _record(self, request: Request, response: Response, extra_headers: list[tuple[str, str]]) -> None:
        form = request.form
        body = request.body if request.body_complete and len(request.body) <= JOURNAL_BODY_LIMIT else None
        headers = dict(request.headers)
        if "authorization" in headers:
            headers["authorization"] = "Bearer ***"
        response_body = response.body if response.stream is None and response.file is None else None
        self.journal.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=request.query,
                headers=headers,
                content_type=request.content_type,
                body=body,
                form=dict(form.fields) if form is not None else None,
                files=request.files_received,
                status=response.status,
                peer=request.peer,
                response_headers=dict(response.headers + extra_headers),
                response_content_type=response.content_type,
                response_body=response_body,
            )
        )

    # -- /_emulator/ ----------------------------------------------------------------------

    def _admin(self, request: Request) -> Response:
        action = (request.method, request.path[len(ADMIN_PREFIX) :].rstrip("/"))
        try:
            body = request.json() if request.body else {}
            if action == ("GET", "health"):
                return json_response({"status": "ok"})
            if action == ("POST", "reset"):
                self.reset()
            elif action == ("POST", "faults"):
                self.faults.add(Fault(**body))
            elif action == ("DELETE", "faults"):
                self.faults.clear()
            elif action == ("POST", "limits"):
                self.add_limit(RateLimit(**body))
            elif action == ("DELETE", "limits"):
                self.limits = ()
            elif action == ("POST", "fine_tune_timings"):
                from airflow_provider_openai_adv.testing.fine_tuning import set_timings

                set_timings(self.state, **body)
            elif action == ("POST", "clock"):
                self.state.clock.advance(float(body.get("advance", 0)))
            elif action == ("GET", "requests"):
                return json_response([entry.summary() for entry in self.journal])
            else:
                raise APIError(404, f"Unknown emulator control {request.method} {request.path}")
        except TypeError as error:  # unknown or missing fields for Fault / RateLimit
            return APIError(400, f"Bad emulator control arguments: {error}").response()
        except APIError as error:
            return error.response()
        return json_response({"ok": True})


class InjectedError(APIError):
    """An error answer a fault asked for: OpenAI's error object or a raw text body."""

    def __init__(self, status: int, body: dict[str, Any] | str, headers: list[tuple[str, str]]) -> None:
        super().__init__(status, "injected", headers=headers)
        self.raw = body

    def response(self) -> Response:
        if isinstance(self.raw, str):
            return Response(self.raw.encode(), self.status, "text/html; charset=utf-8", list(self.headers))
        response = json_response(self.raw, self.status)
        response.headers.extend(self.headers)
        return response


def requested_tokens(request: Request) -> int:
    """What a request costs against a tokens-per-minute limit: prompt size + output asked."""
    tokens = max(1, len(request.body) // 4)
    if request.content_type == "application/json" and request.body:
        try:
            body = request.json()
        except APIError:
            return tokens
        tokens += int(body.get("max_completion_tokens") or body.get("max_tokens") or 0)
    return tokens


async def receive_body(request: Request, receive: Any) -> None:
    """Read the body: multipart files go to disk as they arrive, anything else to memory."""
    if request.content_type == "multipart/form-data":
        reader = StreamingFormReader(request.headers["content-type"], request.state.temp_path)
        kept: bytearray | None = bytearray()  # a copy for the journal, while the body is small
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
            request.files_received = {
                name: [{"filename": f.filename, "content_type": f.content_type, "size": f.size} for f in files]
                for name, files in request.form.files.items()
            }
        except BaseException:
            reader.abort()
            raise
        request.body = bytes(kept) if kept is not None else b""
        request.body_complete = kept is not None
        return
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    request.body = b"".join(chunks)


async def send_response(
    send: Any, response: Response, extra_headers: list[tuple[str, str]], faults: list[Fault] = ()
) -> None:
    headers = [(b"content-type", response.content_type.encode())]
    headers += [(name.encode(), value.encode("latin-1")) for name, value in (*response.headers, *extra_headers)]
    if response.file is not None:
        size = response.file.stat().st_size
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [*headers, (b"content-length", str(size).encode())],
            }
        )
        with response.file.open("rb") as handle:
            while chunk := handle.read(FILE_CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    if response.stream is not None:
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await _send_stream(send, response, faults)
        return
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})


async def _send_stream(send: Any, response: Response, faults: list[Fault]) -> None:
    error_after = min((f.stream_error_after for f in faults if f.stream_error_after is not None), default=None)
    cut_after = min((f.stream_cut_after for f in faults if f.stream_cut_after is not None), default=None)
    sent = 0
    assert response.stream is not None
    async for chunk in response.stream:
        if error_after is not None and sent >= error_after:
            payload = error_body("The server had an error while processing your request.", "server_error")
            chunk = b"event: error\ndata: " + json.dumps(payload).encode() + b"\n\n"
            await send({"type": "http.response.body", "body": chunk, "more_body": False})
            return
        if cut_after is not None and sent >= cut_after:
            await drop_connection(send)
            return
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        sent += 1
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


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

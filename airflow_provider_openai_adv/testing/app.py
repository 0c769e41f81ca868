"""The emulator's policy: which router answers, and the steps every API request goes through.

Three routers, built from the families given to the app:

* public routes (no key): URLs the API hands out, such as image downloads; a fault
  matching one answers or drops as it would on the API, so a download can fail too;
* control routes under ``/_emulator/`` (no key): faults, limits, clock, reset, journal;
* API routes under ``/v1/``, each request going through injected latency → body read →
  Bearer key check → injected fault answer → rate limits → handler → headers
  (``x-request-id``, ``x-ratelimit-*``) → journal → answer (or a lost answer). The rate
  limits are those set for the path, else the account's default (``faults.DEFAULT_RPM``
  and ``DEFAULT_TPM``, counted and reported on every answer but never refused).

The app is also the state's ``internal_api``: a batch's lines go straight to the API
routes' handlers, with only the faults aimed at batch lines (no key, limits or journal).

How bytes move is ``asgi.py``'s business; what each route answers, the families'.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from airflow_provider_openai_adv.testing.asgi import (
    DropConnection,
    drop_connection,
    lifespan,
    receive_body,
    send_response,
)
from airflow_provider_openai_adv.testing.control import CONTROL_PREFIX, Control
from airflow_provider_openai_adv.testing.faults import Fault, FaultSet, RateLimit, Refusal, rate_limit_headers
from airflow_provider_openai_adv.testing.http import APIError, Request, Response, error_body
from airflow_provider_openai_adv.testing.journal import Journal
from airflow_provider_openai_adv.testing.routes import FAMILIES
from airflow_provider_openai_adv.testing.routing import Handler, Router
from airflow_provider_openai_adv.testing.state import EmulatorState

log = logging.getLogger("airflow_provider_openai_adv.testing")

API_PREFIX = "/v1"
OUTPUT_FIELDS = ("max_completion_tokens", "max_tokens", "max_output_tokens")  # the output a request asks for

MISSING_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


def masked_key(key: str) -> str:
    """How OpenAI quotes a wrong key back: its start and its last four characters."""
    return f"{key[:3]}{'*' * max(0, len(key) - 7)}{key[-4:]}" if len(key) > 8 else "***"


@dataclass
class EmulatorSettings:
    api_key: str | None = None  # when set, only this key is accepted
    latency: float = 0.0  # seconds added to every answer
    journal_size: int = 10_000  # requests remembered for inspection; 0 to keep none


class EmulatorApp:
    """The ASGI callable; one per emulator. ``families``: the route modules to serve (all by default)."""

    def __init__(
        self,
        state: EmulatorState,
        settings: EmulatorSettings | None = None,
        seed: int = 0,
        families: Sequence[ModuleType] = FAMILIES,
    ) -> None:
        self.state = state
        self.settings = settings or EmulatorSettings()
        self.faults = FaultSet(seed)
        self.limits: tuple[RateLimit, ...] = ()
        self.account = RateLimit(enforce=False)  # the paths no limit is set for
        self.journal = Journal(self.settings.journal_size)
        self.api = Router(API_PREFIX, [route for family in families for route in family.ROUTES])
        self.public = Router("", [route for family in families for route in getattr(family, "PUBLIC_ROUTES", ())])
        self.control = Router(CONTROL_PREFIX, Control(self).routes())
        state.internal_api = self

    # -- control, shared by the Python handle and the /_emulator/ endpoints -----------

    def reset(self) -> None:
        self.journal.clear()
        self.state.reset()
        self.faults.clear()
        self.limits = ()
        self.account.reset()

    def add_limit(self, limit: RateLimit) -> RateLimit:
        self.limits = (*self.limits, limit)
        return limit

    def clear_limits(self) -> None:
        self.limits = ()

    # -- the API from inside (``InternalAPI``) -------------------------------------------

    def serves(self, method: str, path: str) -> bool:
        return self.api.resolve(method, path)[0] is not None

    def answer_batch_line(self, path: str, body: bytes, custom_id: str) -> Response:
        fault = self.faults.pick_for_batch_line(path, custom_id)
        if fault is not None:
            return fault.response()
        request = Request.internal(self.state, path, body)
        handler, request.path_params, _ = self.api.resolve("POST", path)
        if handler is None:
            return APIError(404, f"Invalid URL (POST {path})").response()
        return _call(handler, request)

    # -- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, self.state)
        handler, request.path_params, _ = self.public.resolve(request.method, request.raw_path)
        if handler is not None:
            await self._serve_public(handler, request, receive, send)
        elif request.raw_path.startswith(CONTROL_PREFIX + "/"):
            await self._serve_control(request, receive, send)
        else:
            await self._serve_api(request, receive, send)

    async def _serve_public(self, handler: Handler, request: Request, receive: Any, send: Any) -> None:
        faults = self.faults.pick(request.method, request.path) if self.faults else []
        if any(fault.drop for fault in faults):
            await drop_connection(send)
            return
        await receive_body(request, receive)
        injected = next((fault for fault in faults if fault.status is not None), None)
        response = injected.response() if injected is not None else _call(handler, request)
        self.journal.record(request, response, [])
        await send_response(send, response, [])

    async def _serve_control(self, request: Request, receive: Any, send: Any) -> None:
        await receive_body(request, receive)
        handler, request.path_params, _ = self.control.resolve(request.method, request.raw_path)
        try:
            if handler is None:
                raise APIError(404, f"Unknown emulator control {request.method} {request.path}")
            response = handler(request)
        except (TypeError, ValueError) as error:  # unknown, missing or mistyped arguments
            response = APIError(400, f"Bad emulator control arguments: {error}").response()
        except APIError as error:
            response = error.response()
        await send_response(send, response, [])

    async def _serve_api(self, request: Request, receive: Any, send: Any) -> None:
        started = time.monotonic()
        generation = self.journal.generation
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
        extra_headers += _standard_headers(started)
        lost = any(fault.lose_answer for fault in faults)
        self.journal.record(request, response, extra_headers, generation=generation, answer_lost=lost)
        try:
            if lost:
                await drop_connection(send)
            else:
                await send_response(send, _with_stream_faults(response, faults), extra_headers)
        finally:
            if request.form is not None:
                request.form.discard()

    def _answer(self, request: Request, faults: list[Fault], extra_headers: list[tuple[str, str]]) -> Response:
        """The key check, a fault's answer, the rate limits, then the route's handler."""
        self._authenticate(request)
        injected = next((fault for fault in faults if fault.status is not None), None)
        if injected is not None:
            return injected.response()
        self._apply_limits(request, extra_headers)
        handler, request.path_params, path_known = self.api.resolve(request.method, request.raw_path)
        if handler is None:
            raise APIError(405 if path_known else 404, f"Invalid URL ({request.method} {request.path})")
        return _call(handler, request)

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
        """Count the request against the limits set for its path (the account's when none is), or refuse it."""
        limits = [limit for limit in self.limits if limit.matches(request.path)] or [self.account]
        tokens = requested_tokens(request)
        refusals = [refusal for limit in limits if (refusal := limit.refusal(tokens)) is not None]
        if not refusals:
            for limit in limits:
                limit.count(tokens)
        extra_headers.extend(rate_limit_headers(limits))
        if refusals:
            raise _rate_limited(request, max(refusals, key=lambda refusal: refusal.wait))


def _rate_limited(request: Request, refusal: Refusal) -> APIError:
    """OpenAI's 429: typed ``requests`` or ``tokens``, naming the model, with when to try again."""
    retry = [("retry-after", str(max(1, round(refusal.wait)))), ("retry-after-ms", str(int(refusal.wait * 1000)))]
    message = refusal.message(_model_named(request) or request.path)
    return APIError(429, message, error_type=refusal.kind, code="rate_limit_exceeded", headers=retry)


def _call(handler: Handler, request: Request) -> Response:
    """The handler's answer; its ``APIError`` as OpenAI's error body, a bug as OpenAI's 500."""
    try:
        return handler(request)
    except APIError as error:
        return error.response()
    except Exception as error:  # a bug in a handler: answer like OpenAI's 500, and say why
        log.exception("emulator handler failed for %s %s", request.method, request.path)
        return APIError(500, f"Emulator error: {error!r}", error_type="server_error").response()


def _standard_headers(started: float) -> list[tuple[str, str]]:
    return [
        ("x-request-id", "req_" + secrets.token_hex(16)),
        ("openai-processing-ms", str(int((time.monotonic() - started) * 1000))),
        ("openai-version", "2020-10-01"),
    ]


def requested_tokens(request: Request) -> int:
    """What a request costs against a tokens-per-minute limit: prompt size + output asked."""
    body = _json_body(request)
    asked = next((body[name] for name in OUTPUT_FIELDS if type(body.get(name)) is int and body[name] > 0), 0)
    return max(1, len(request.body) // 4) + asked


def _model_named(request: Request) -> str | None:
    """The ``model`` a request names in its JSON body or its form, if any."""
    model = request.form.get("model") if request.form is not None else _json_body(request).get("model")
    return model if isinstance(model, str) and model else None


def _json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body; empty when it has none, or a bad one (the handler answers that)."""
    if request.content_type != "application/json":
        return {}
    try:
        return request.json()
    except APIError:
        return {}


def _with_stream_faults(response: Response, faults: list[Fault]) -> Response:
    """``response`` with its stream broken as the faults ask: an error event, or a cut, after N chunks."""
    error_after = min((f.stream_error_after for f in faults if f.stream_error_after is not None), default=None)
    cut_after = min((f.stream_cut_after for f in faults if f.stream_cut_after is not None), default=None)
    if response.stream is not None and (error_after is not None or cut_after is not None):
        response.stream = _broken_stream(response.stream, error_after, cut_after)
    return response


async def _broken_stream(
    stream: AsyncIterator[bytes], error_after: int | None, cut_after: int | None
) -> AsyncIterator[bytes]:
    sent = 0
    async for chunk in stream:
        if error_after is not None and sent >= error_after:
            payload = error_body("The server had an error while processing your request.", "server_error")
            yield b"event: error\ndata: " + json.dumps(payload).encode() + b"\n\n"
            return
        if cut_after is not None and sent >= cut_after:
            raise DropConnection
        yield chunk
        sent += 1

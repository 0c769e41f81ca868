"""Faults and limits the emulator can be told to apply, per server or per path.

A :class:`Fault` matches requests by method and path (a glob such as ``/v1/chat/*``) and
then delays them, answers in the handler's stead (an error such as a 429 with
``Retry-After`` or a 500, or any status with a raw body), drops the connection before
or after handling the request, or breaks a stream part-way. A :class:`RateLimit`
answers like OpenAI's request and token limits: ``x-ratelimit-*`` headers on every
answer and a 429 ``rate_limit_exceeded`` once the window is full, typed ``requests`` or
``tokens`` after the limit that binds.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.http import Response

_ERROR_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Injected bad request."),
    401: ("invalid_request_error", "invalid_api_key", "Injected authentication failure."),
    403: ("invalid_request_error", None, "Injected permission failure."),
    404: ("invalid_request_error", None, "Injected not found."),
    408: ("timeout", None, "Request timed out."),
    409: ("invalid_request_error", None, "Injected conflict."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached (injected). Please try again later."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


@dataclass
class Fault:
    """One fault rule. Every field but the matchers is optional; set what you need.

    :param path: glob matched against the request path, e.g. ``/v1/chat/completions``;
        by default every API path. The URLs the API hands out (image downloads,
        ``/_emulator/images/*``) are another host's: a fault reaches them only by naming them.
    :param method: HTTP method to match; any when ``None``.
    :param status: answer with this status instead of handling the request: for an error
        status, OpenAI's error body unless ``body`` is given; any status works, 200 too.
    :param code: the error's ``code`` (``insufficient_quota``, ``rate_limit_exceeded``...).
    :param message: the error's message.
    :param retry_after: seconds, sent as ``Retry-After``.
    :param retry_after_ms: milliseconds, sent as ``retry-after-ms``.
    :param should_retry: sent as ``x-should-retry: true/false``.
    :param headers: more headers for the answer (``{"retry-after": "<HTTP date>"}``).
    :param body: the answer's raw body, e.g. a proxy's HTML page or ``"{}"`` with a 200.
    :param content_type: the body's type; by default ``application/json`` when ``body``
        parses as JSON, else ``text/html; charset=utf-8``.
    :param latency: seconds to wait before answering (without blocking other requests).
    :param drop: close the connection without answering, before handling the request.
    :param lose_answer: handle the request (the upload is kept, the job created...), then
        close the connection instead of answering; journalled with ``answer_lost=True``.
    :param stream_error_after: for streams, send an error event after this many chunks.
    :param stream_cut_after: for streams, cut the connection after this many chunks.
    :param rate: probability (0–1) that a matching request gets the fault.
    :param times: apply to this many matching requests, then retire; ``None`` = forever.
    :param skip: let this many matching requests through first (``skip=1``: the second
        image download fails, the first does not).
    :param in_batches: answer the lines of batches whose ``url`` matches ``path``, not
        direct requests: the line gets ``status`` (with ``code``, ``message``...) in the
        batch's error file. Needs a ``status``; ``rate`` picks lines by ``custom_id``.
    """

    path: str = "/v1/*"
    method: str | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    error_type: str | None = None
    retry_after: float | None = None
    retry_after_ms: float | None = None
    should_retry: bool | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    content_type: str | None = None
    latency: float = 0.0
    drop: bool = False
    lose_answer: bool = False
    stream_error_after: int | None = None
    stream_cut_after: int | None = None
    rate: float = 1.0
    times: int | None = None
    skip: int = 0
    in_batches: bool = False
    hits: int = field(default=0, compare=False)
    skipped: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.in_batches and (self.status is None or self.status < 400 or self.body is not None):
            raise ValueError("a fault in batches answers a line with an error status, and OpenAI's error body")

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and fnmatchcase(path, self.path)

    def response(self) -> Response:
        """The answer this fault gives instead of the handler's (``status`` is set)."""
        assert self.status is not None
        if self.body is not None:
            body, content_type = self.body.encode(), _content_type_of(self.body)
        elif self.status >= 400:
            body, content_type = json.dumps(self._error_body(), separators=(",", ":")).encode(), "application/json"
        else:
            body, content_type = b"", "application/json"
        return Response(body, self.status, self.content_type or content_type, self._headers())

    def _error_body(self) -> dict[str, Any]:
        default_type, default_code, default_message = _ERROR_DEFAULTS.get(
            self.status, ("server_error" if self.status >= 500 else "invalid_request_error", None, "Injected error.")
        )
        code = self.code if self.code is not None else default_code
        error_type = self.error_type or (code if code == "insufficient_quota" else default_type)
        return {"error": {"message": self.message or default_message, "type": error_type, "param": None, "code": code}}

    def _headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = list(self.headers.items())
        if self.retry_after is not None:
            headers.append(("retry-after", f"{self.retry_after:g}"))
        if self.retry_after_ms is not None:
            headers.append(("retry-after-ms", f"{self.retry_after_ms:g}"))
        if self.should_retry is not None:
            headers.append(("x-should-retry", "true" if self.should_retry else "false"))
        return headers


def _content_type_of(body: str) -> str:
    """JSON's type for a body that looks like JSON (an array or object, however deep), else HTML's."""
    try:
        json.loads(body)
    except RecursionError:
        return "application/json"
    except ValueError:
        return "text/html; charset=utf-8"
    return "application/json"


class FaultSet:
    """The active faults; safe to change from a test thread while the server runs."""

    def __init__(self, seed: int = 0) -> None:
        self._faults: tuple[Fault, ...] = ()
        self.seed = seed
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults = (*self._faults, fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults = ()

    def __bool__(self) -> bool:
        return bool(self._faults)

    def __iter__(self):
        return iter(self._faults)

    def pick(self, method: str, path: str) -> list[Fault]:
        """The faults that fire for this request (each counted against its ``times``)."""
        with self._lock:
            return [
                fault
                for fault in self._faults
                if not fault.in_batches and fault.matches(method, path) and self._fires(fault, self._draw)
            ]

    def pick_for_batch_line(self, path: str, custom_id: str) -> Fault | None:
        """The ``in_batches`` fault a batch line to ``path`` gets, if any; drawn from the seed and ``custom_id``."""

        def draw(fault: Fault) -> float:
            return synth.stable_int(self.seed, fault.path, fault.status, custom_id) / 2**64

        with self._lock:
            for fault in self._faults:
                if fault.in_batches and fault.matches("POST", path) and self._fires(fault, draw):
                    return fault
        return None

    def _draw(self, fault: Fault) -> float:
        return self._random.random()

    @staticmethod
    def _fires(fault: Fault, draw: Callable[[Fault], float]) -> bool:
        """Count a matching request against ``skip`` and ``times``; whether the fault fires for it."""
        if fault.skipped < fault.skip:
            fault.skipped += 1
            return False
        if fault.times is not None and fault.hits >= fault.times:
            return False
        if fault.rate < 1.0 and draw(fault) >= fault.rate:
            return False
        fault.hits += 1
        return True


def format_reset(seconds: float) -> str:
    """OpenAI's reset format: ``"20ms"``, ``"1s"``, ``"6m0s"``."""
    if seconds < 1:
        return f"{max(1, math.ceil(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    rest_text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{rest_text}" if minutes else rest_text


# The account's limits where none is set, reported on every answer: an OpenAI tier-5 account's for
# gpt-4o-mini, generous enough that a client pacing itself by them is not slowed much on loopback.
DEFAULT_RPM = 30_000
DEFAULT_TPM = 150_000_000
ORGANIZATION = "org-emulator"  # the organization OpenAI's rate-limit messages name
SLICES = 1_000  # a window's requests are counted in this many slices of it, so memory stays flat under load
KINDS = ("requests", "tokens")
HEADER_NAMES = {kind: tuple(f"x-ratelimit-{what}-{kind}" for what in ("limit", "remaining", "reset")) for kind in KINDS}


@dataclass(frozen=True)
class Refusal:
    """Why a limit refused a request, in the figures OpenAI's 429 quotes."""

    kind: str  # "requests" or "tokens": the limit that binds, OpenAI's error ``type``
    limit: int
    used: int
    requested: int
    wait: float  # seconds until the window has room

    def message(self, model: str) -> str:
        unit = "requests per min (RPM)" if self.kind == "requests" else "tokens per min (TPM)"
        where = f"for {model} in organization {ORGANIZATION} on {unit}"
        more = "Visit https://platform.openai.com/account/rate-limits to learn more."
        if self.requested > self.limit:
            return (
                f"Request too large {where}: Limit {self.limit}, Requested {self.requested}. "
                f"The input or output tokens must be reduced in order to run successfully. {more}"
            )
        return (
            f"Rate limit reached {where}: Limit {self.limit}, Used {self.used}, Requested {self.requested}. "
            f"Please try again in {format_reset(self.wait)}. {more}"
        )


@dataclass
class RateLimit:
    """Requests-per-minute and tokens-per-minute limits over a sliding window of 60 s.

    ``rpm`` or ``tpm`` left ``None`` is the account's default (:data:`DEFAULT_RPM`,
    :data:`DEFAULT_TPM`), so that every answer reports both, as OpenAI's do. With
    ``enforce=False`` the limit counts and reports but refuses nothing: the emulator's
    account limit when none is set, so that load no one asked to limit is never refused.
    """

    rpm: int | None = None
    tpm: int | None = None
    path: str = "*"
    window: float = 60.0
    enforce: bool = True
    clock: Callable[[], float] = field(default=time.monotonic, init=False, repr=False)  # tests drive their own
    _slices: deque[list[float]] = field(default_factory=deque, init=False, repr=False)  # [start, requests, tokens]
    _used: list[int] = field(default_factory=lambda: [0, 0], init=False, repr=False)  # requests, tokens in the window
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def per_minute(self) -> tuple[int, int]:
        """The requests and the tokens a window allows: the account's defaults where not set."""
        return (DEFAULT_RPM if self.rpm is None else self.rpm, DEFAULT_TPM if self.tpm is None else self.tpm)

    def matches(self, path: str) -> bool:
        return fnmatchcase(path, self.path)

    def refusal(self, tokens: int) -> Refusal | None:
        """Why a request of ``tokens`` would go over a limit now (the longer wait if both), if it would."""
        if not self.enforce:
            return None
        now = self.clock()
        with self._lock:
            self._expire(now)
            over = [
                self._refusal(index, asked, now)
                for index, asked in enumerate((1, tokens))
                if self._used[index] + asked > self.per_minute[index]
            ]
        return max(over, key=lambda refusal: refusal.wait, default=None)

    def _refusal(self, index: int, asked: int, now: float) -> Refusal:
        limit, used = self.per_minute[index], self._used[index]
        return Refusal(KINDS[index], limit, used, asked, self._wait(index, used + asked - limit, now))

    def count(self, tokens: int) -> None:
        """Count one admitted request of ``tokens``."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            if self._slices and now - self._slices[-1][0] < self.window / SLICES:
                self._slices[-1][1] += 1
                self._slices[-1][2] += tokens
            else:
                self._slices.append([now, 1, tokens])
            self._used[0] += 1
            self._used[1] += tokens

    def standing(self) -> dict[str, tuple[int, int, float]]:
        """Per kind, the limit, what remains of it and the seconds until the window's oldest request leaves."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            reset = self._slices[0][0] + self.window - now if self._slices else 0.0
            used = tuple(self._used)
        return {
            kind: (limit, max(0, limit - spent), reset)
            for kind, limit, spent in zip(KINDS, self.per_minute, used, strict=True)
        }

    def _expire(self, now: float) -> None:
        while self._slices and now - self._slices[0][0] >= self.window:
            _, requests, tokens = self._slices.popleft()
            self._used[0] -= requests
            self._used[1] -= tokens

    def _wait(self, index: int, excess: int, now: float) -> float:
        """Seconds until ``excess`` requests (``index`` 1: tokens) have left the window."""
        freed = 0
        for start, *counts in self._slices:
            freed += counts[index]
            if freed >= excess:
                return max(0.001, start + self.window - now)
        return self.window  # a single request larger than the whole budget

    def reset(self) -> None:
        with self._lock:
            self._slices.clear()
            self._used[:] = [0, 0]


def rate_limit_headers(limits: list[RateLimit]) -> list[tuple[str, str]]:
    """OpenAI's six ``x-ratelimit-*`` headers: for requests and for tokens, the limit with the least left."""
    standings = [limit.standing() for limit in limits]
    headers: list[tuple[str, str]] = []
    for kind in KINDS:
        limit, remaining, reset = min((standing[kind] for standing in standings), key=lambda figures: figures[1])
        headers += zip(HEADER_NAMES[kind], (str(limit), str(remaining), format_reset(reset)), strict=True)
    return headers

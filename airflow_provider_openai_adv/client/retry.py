"""When to retry a request, and how long to wait first.

The rules (``docs/retries.md`` compares them with the openai SDK's):

* never retried: 400, 401, 403, 404, 422, a 429 whose code is ``insufficient_quota``,
  and a certificate that cannot be verified — repeating the request cannot change them;
* retried: connection failures, timeouts, 408, 409, 429 (``rate_limit_exceeded``), 5xx,
  and a success answer that is not the JSON the API sends (a proxy's page, say);
* the server's ``x-should-retry: false`` stops a retry; ``true`` allows one for a status
  that is not in the never-retried list;
* a request that is not safe to repeat (creating a fine-tune job, say) is retried only
  when it surely did not reach the server: a refused connection or a connect timeout,
  or an HTTP answer that says to try again;
* the wait is the server's ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP
  date), capped at ``max_wait``; otherwise exponential backoff with jitter.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import tenacity

from airflow_provider_openai_adv.exceptions import (
    PERMANENT_STATUSES,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InsufficientQuotaError,
    InvalidResponseError,
    TLSVerificationError,
)

log = logging.getLogger("airflow_provider_openai_adv.client")

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    reason: str


def server_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait, from ``retry-after-ms`` or ``Retry-After``."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _status_decision(error: APIStatusError) -> RetryDecision:
    status = error.status_code
    label = f"HTTP {status}" + (f" {error.code or error.error_type}" if (error.code or error.error_type) else "")
    if isinstance(error, InsufficientQuotaError):
        return RetryDecision(False, f"{label}: the account is out of quota, retrying cannot help")
    if status in PERMANENT_STATUSES:
        return RetryDecision(False, f"{label} is final")
    hint = error.headers.get("x-should-retry", "").lower()
    if hint == "false":
        return RetryDecision(False, f"{label}: the server sent x-should-retry: false")
    if hint == "true":
        return RetryDecision(True, f"{label}: the server sent x-should-retry: true")
    if status in RETRYABLE_STATUSES or status >= 500:
        return RetryDecision(True, label)
    return RetryDecision(False, f"{label} is not retryable")


@dataclass(frozen=True)
class RetryPolicy:
    """The retry budget and backoff of one client."""

    max_retries: int = 2
    max_wait: float = 60.0
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def decide(self, error: BaseException, *, safe_to_repeat: bool = True) -> RetryDecision:
        """Whether ``error`` is worth another attempt, and why (for the log)."""
        if isinstance(error, APIStatusError):
            return _status_decision(error)
        if isinstance(error, TLSVerificationError):
            return RetryDecision(False, "the server's certificate cannot be verified; retrying cannot help")
        if isinstance(error, InvalidResponseError):
            if safe_to_repeat:
                return RetryDecision(True, f"unexpected answer: {error}")
            return RetryDecision(
                False, "unexpected answer to a request that is not repeated; it may have been processed"
            )
        if isinstance(error, APIConnectionError):
            kind = "timeout" if isinstance(error, APITimeoutError) else "connection error"
            if safe_to_repeat or not error.may_have_reached_server:
                return RetryDecision(True, f"{kind}: {error}")
            return RetryDecision(False, f"{kind} after the request was sent; not repeated, it may have been processed")
        return RetryDecision(False, f"{type(error).__name__} is not retryable")

    def wait_seconds(self, error: BaseException | None, retry_number: int) -> float:
        """How long to wait before retry number ``retry_number`` (1-based)."""
        if isinstance(error, APIStatusError):
            requested = server_retry_after(error.headers)
            if requested is not None:
                return min(requested, self.max_wait)
        backoff = min(self.initial_backoff * 2 ** (retry_number - 1), self.max_backoff)
        return backoff * (1 - 0.25 * random.random())

    def call(self, attempt: Callable[[], T], *, description: str, safe_to_repeat: bool = True) -> T:
        """Run ``attempt`` until it succeeds, fails for good, or the budget is spent."""
        retrying = tenacity.Retrying(sleep=self.sleep, **self._rules(description, safe_to_repeat))
        return retrying(attempt)

    async def acall(self, attempt: Callable[[], Awaitable[T]], *, description: str, safe_to_repeat: bool = True) -> T:
        """:meth:`call` for a coroutine: the waits are ``async_sleep``, the event loop stays free.

        The same rules as a plain loop rather than tenacity's ``AsyncRetrying``: one of those,
        made per call, is a reference cycle only the cyclic GC frees — at a thousand
        triggers' polls, ~60,000 objects a round and one more full GC pass (~150 ms of the
        triggerer's loop) per round (``make bench``, triggers)."""
        retry = 0
        while True:
            try:
                return await attempt()
            except Exception as error:
                decision = self.decide(error, safe_to_repeat=safe_to_repeat)
                retry += 1
                if not decision.retry or retry > self.max_retries:
                    raise
                wait = self.wait_seconds(error, retry)
                self._log_retry(description, wait, retry, decision.reason, error)
            await self.async_sleep(wait)

    def _rules(self, description: str, safe_to_repeat: bool) -> dict[str, Any]:
        def should_retry(error: BaseException) -> bool:
            return self.decide(error, safe_to_repeat=safe_to_repeat).retry

        def wait(state: tenacity.RetryCallState) -> float:
            return self.wait_seconds(state.outcome.exception() if state.outcome else None, state.attempt_number)

        def log_retry(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            reason = self.decide(error, safe_to_repeat=safe_to_repeat).reason if error else "unknown"
            wait_time = state.next_action.sleep if state.next_action else 0.0
            self._log_retry(description, wait_time, state.attempt_number, reason, error)

        return {
            "stop": tenacity.stop_after_attempt(self.max_retries + 1),
            "retry": tenacity.retry_if_exception(should_retry),
            "wait": wait,
            "before_sleep": log_retry,
            "reraise": True,
        }

    def _log_retry(self, description: str, wait: float, retry: int, reason: str, error: BaseException | None) -> None:
        request_id = getattr(error, "request_id", None)
        log.warning(
            "Retrying %s in %.2f s (retry %d of %d): %s%s",
            description, wait, retry, self.max_retries, reason,
            f" [request_id={request_id}]" if request_id else "",
        )  # fmt: skip

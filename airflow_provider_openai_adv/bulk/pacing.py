"""Pacing direct requests to just under an account's rate limits: pure, no I/O, no threads.

OpenAI limits an account, per model, in requests per minute (RPM) and tokens per minute
(TPM), and says on every answer where it stands (``x-ratelimit-limit-*``,
``-remaining-*``, ``-reset-*``: :class:`~airflow_provider_openai_adv.client.ratelimit.RateLimitInfo`).
A :class:`Pacer` admits requests, each with its estimated tokens, so that whichever limit
binds is used to :data:`TARGET` (98 %) and not beyond:

* **Evenly spaced.** Each known limit is a schedule (the generic cell rate algorithm): a
  request goes at once, and the next may go when this one has been paid for at
  ``share × limit`` per minute. OpenAI may enforce a minute's limit over shorter spans
  (its docs: 60,000 RPM "may be enforced as 1,000 requests per second"), so a minute's
  budget spent in a burst draws 429s where the same budget spread evenly does not.
* **Within any minute.** A ledger of the last minute's admissions (kept half a second
  longer: the server saw each request a little after it left) refuses a request that
  would take that minute past the limit, whatever the schedule says (when a limit is
  learnt, or lowered, after requests went out faster).
* **Learnt from the answers.** The first request goes alone (the probe); each answer's
  ``x-ratelimit-limit-*`` sets the limits, lowered by ``requests_per_minute`` /
  ``tokens_per_minute`` when given (caps for a key shared with other work). The latest
  ``x-ratelimit-remaining-*``, less what was admitted since, must cover the next request,
  or the pacer waits for ``reset`` (or for the deficit to refill at the limit's rate, if
  sooner); what the server counted beyond this pacer's own requests is another user of
  the key, and the limits paced against are the account's less that share.
* **Backing off and creeping back.** A 429 holds every request for its ``retry-after``
  and cuts the share to :data:`BACKOFF` of what it was — once per episode: the 429s of
  requests already in flight when the first came count once — and the share creeps back
  :data:`CREEP` a second. Without limit headers or caps the first 429 sets the limits to
  what the last minute carried, and the share may creep to :data:`UNKNOWN_CEILING` of that.

Time is ``clock()`` (``time.monotonic`` by default; tests pass a fake one), so every
decision is a pure function of the calls made and the time they were made at.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

WINDOW = 60.0  # seconds: OpenAI's limits are per minute
TARGET = 0.98  # the share of the binding limit aimed at
LEDGER_SHARE = 0.995  # no minute may carry more than this share of a limit...
LEDGER_SLACK = 0.5  # ...counted this many seconds longer (at most 5 %): the server saw each request later
BACKOFF = 0.7  # a 429 keeps this share of the pace
FLOOR = 0.05  # the lowest share 429s back off to
CREEP = 0.01  # share regained per second without a 429
UNKNOWN_CEILING = 1.5  # limits estimated from a 429 (no headers): how far the share may creep past them
REQUEST_SHARE = 0.005  # the largest request, as a share of the tokens per minute (for packing)
PROBE_TOKENS = 8_192  # the largest request while the tokens per minute are unknown
DEFAULT_RETRY_AFTER = 1.0  # seconds to hold after a 429 that names no wait
MIN_HOLD = 0.05  # seconds: the shortest wait for the server's window to free up
OTHERS_NOISE = 0.005  # others' use of the key below this share of a limit is taken for noise
REQUESTS, TOKENS = 0, 1  # the two limits, as indexes


@dataclass(frozen=True)
class Ticket:
    """One admitted request: its place in the admission order and its estimated tokens."""

    number: int
    tokens: int
    admitted_at: float
    tokens_through: int  # tokens admitted up to and including this request


@dataclass(frozen=True)
class _View:
    """The server's count, as one answer reported it."""

    number: int  # the ticket whose answer it was
    tokens_through: int
    remaining: tuple[int | None, int | None]
    reset: tuple[float | None, float | None]
    at: float


class Pacer:
    """Admits requests at just under the binding of the account's RPM and TPM.

    The caller asks :meth:`delay` how long a request of ``tokens`` must wait (``inf``:
    until an answer arrives), sends it after :meth:`admit`, and reports how it went:
    :meth:`answered` (any HTTP answer but a 429), :meth:`rate_limited` (a 429) or
    :meth:`released` (no answer at all).

    :param requests_per_minute: a cap on the requests per minute (the account's, if lower, wins).
    :param tokens_per_minute: a cap on the tokens per minute.
    :param target: the share of the binding limit to aim at.
    :param window: the limits' window in seconds (60; tests shorten it with the emulator's).
    """

    def __init__(
        self,
        *,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        target: float = TARGET,
        window: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.caps = (requests_per_minute or None, tokens_per_minute or None)
        self.reported: list[int | None] = [None, None]  # x-ratelimit-limit-*
        self.estimated: list[float | None] = [None, None]  # from a 429, when nothing else is known
        self.others = [0, 0]  # what other users of the key had of the server's last window
        self.target = target
        self.window = WINDOW if window is None else window
        self.clock = clock
        self._share, self._share_since = target, clock()
        self._backoff_at = -math.inf
        self._hold_until = -math.inf
        self._next = [-math.inf, -math.inf]  # when each limit's schedule lets the next request go
        self._ledger: deque[tuple[float, int]] = deque()  # (admitted at, tokens) over the last window
        self._ledger_tokens = 0
        self._rejected: deque[tuple[float, int]] = deque()  # 429s over the last window: not counted by the server
        self._rejected_tokens = 0
        self._view: _View | None = None
        self.admitted = self.admitted_tokens = 0
        self.in_flight = self.answers = self.rate_limited_answers = self.backoffs = 0

    # -- what it knows -------------------------------------------------------------------

    def limit(self, which: int) -> float | None:
        """The requests (``REQUESTS``) or tokens (``TOKENS``) per minute paced against: the
        account's less what other users of the key take, or the cap if lower."""
        reported = self.reported[which]
        if reported:
            reported = max(reported * FLOOR, reported - self.others[which])
        known = [value for value in (self.caps[which], reported) if value]
        return float(min(known)) if known else self.estimated[which]

    def account_limit(self, which: int) -> float | None:
        """The account's limit (or the cap, if lower), not lessened by others' use."""
        known = [value for value in (self.caps[which], self.reported[which]) if value]
        return float(min(known)) if known else self.estimated[which]

    def limits(self) -> tuple[float | None, float | None]:
        return self.limit(REQUESTS), self.limit(TOKENS)

    def share(self, now: float | None = None) -> float:
        """The share of the limits paced at now: the target, or less after a 429."""
        now = self.clock() if now is None else now
        known = any(self.caps) or any(self.reported)
        ceiling = self.target if known or not any(self.estimated) else UNKNOWN_CEILING
        return min(ceiling, self._share + CREEP * (now - self._share_since))

    def max_request_tokens(self) -> int:
        """The most estimated tokens one request should carry: a small share of the tokens
        per minute, so that pacing stays smooth and no request is over the whole budget."""
        tokens = self.limit(TOKENS)
        return max(1, int(tokens * REQUEST_SHARE)) if tokens else PROBE_TOKENS

    def binding(self) -> str | None:
        """Which limit the last minute came closer to: ``"requests"``, ``"tokens"`` or ``None``."""
        self._expire(self.clock())
        rpm, tpm = self.limits()
        used = [len(self._ledger) / rpm if rpm else -1.0, self._ledger_tokens / tpm if tpm else -1.0]
        if max(used) < 0:
            return None
        return "requests" if used[REQUESTS] >= used[TOKENS] else "tokens"

    def last_minute(self) -> tuple[int, int]:
        """Requests and tokens admitted over the last window."""
        self._expire(self.clock())
        return len(self._ledger), self._ledger_tokens

    # -- admitting -----------------------------------------------------------------------

    def delay(self, tokens: int) -> float:
        """Seconds before a request of ``tokens`` may go: 0 now, ``inf`` until an answer."""
        now = self.clock()
        if self.answers == 0 and self.in_flight:
            return math.inf  # the probe is out: nothing is known yet
        self._expire(now)
        waits = [self._hold_until - now, self._server_wait(tokens, now)]
        for which, cost in ((REQUESTS, 1), (TOKENS, tokens)):
            limit = self.limit(which)
            if limit:
                waits += [self._next[which] - now, self._ledger_wait(which, cost, limit, now)]
        return max(0.0, *waits)

    def admit(self, tokens: int) -> Ticket:
        """Record a request as sent now; its ticket goes back with its outcome."""
        now = self.clock()
        self._expire(now)
        share = self.share(now)
        for which, cost in ((REQUESTS, 1), (TOKENS, tokens)):
            limit = self.limit(which)
            if limit:
                self._next[which] = max(self._next[which], now) + cost * self.window / (limit * share)
        self._ledger.append((now, tokens))
        self._ledger_tokens += tokens
        self.admitted += 1
        self.admitted_tokens += tokens
        self.in_flight += 1
        return Ticket(self.admitted, tokens, now, self.admitted_tokens)

    # -- outcomes ------------------------------------------------------------------------

    def answered(self, ticket: Ticket, info: Any = None) -> None:
        """An HTTP answer other than a 429 (``info``: its ``RateLimitInfo``, if any)."""
        self.in_flight -= 1
        self.answers += 1
        self._learn(ticket, info)

    def rate_limited(self, ticket: Ticket, retry_after: float | None = None, info: Any = None) -> None:
        """A 429 ``rate_limit_exceeded``: hold for ``retry_after`` and slow down."""
        now = self.clock()
        self.in_flight -= 1
        self.answers += 1
        self.rate_limited_answers += 1
        self._rejected.append((ticket.admitted_at, ticket.tokens))
        self._rejected_tokens += ticket.tokens
        self._learn(ticket, info)
        self._hold_until = max(self._hold_until, now + (DEFAULT_RETRY_AFTER if retry_after is None else retry_after))
        if ticket.admitted_at > self._backoff_at:  # the first 429 of an episode, not its echoes
            self._expire(now)
            if not (any(self.caps) or any(self.reported)):  # nothing known: the last minute was too much
                self.estimated = [float(max(1, len(self._ledger))), float(max(1, self._ledger_tokens))]
            self._share = max(FLOOR, self.share(now) * BACKOFF)
            self._share_since = self._backoff_at = now
            self.backoffs += 1
        self._next = [max(moment, self._hold_until) for moment in self._next]

    def released(self, ticket: Ticket) -> None:
        """No answer came (a dropped connection, a timeout)."""
        self.in_flight -= 1

    # -- inside --------------------------------------------------------------------------

    def _learn(self, ticket: Ticket, info: Any) -> None:
        if info is None:
            return
        for which, limit in ((REQUESTS, info.limit_requests), (TOKENS, info.limit_tokens)):
            if limit:
                self.reported[which] = limit
        remaining = (info.remaining_requests, info.remaining_tokens)
        if remaining != (None, None) and (self._view is None or ticket.number > self._view.number):
            reset = (info.reset_requests, info.reset_tokens)
            self._view = _View(ticket.number, ticket.tokens_through, remaining, reset, self.clock())
            self._count_others(ticket, remaining)

    def _count_others(self, ticket: Ticket, remaining: tuple[int | None, int | None]) -> None:
        """What the server counted in its window beyond what this pacer sent there."""
        self._expire(self.clock())
        ours = (
            len(self._ledger) - (self.admitted - ticket.number) - len(self._rejected),
            self._ledger_tokens - (self.admitted_tokens - ticket.tokens_through) - self._rejected_tokens,
        )
        for which in (REQUESTS, TOKENS):
            reported = self.reported[which]
            if reported and remaining[which] is not None:
                others = reported - remaining[which] - ours[which]
                self.others[which] = others if others > reported * OTHERS_NOISE else 0

    def _expire(self, now: float) -> None:
        kept = self._kept()
        while self._ledger and self._ledger[0][0] <= now - kept:
            self._ledger_tokens -= self._ledger.popleft()[1]
        while self._rejected and self._rejected[0][0] <= now - kept:
            self._rejected_tokens -= self._rejected.popleft()[1]

    def _kept(self) -> float:
        """How long the ledger keeps a request: the window, and the time it took to reach the server."""
        return self.window + min(LEDGER_SLACK, self.window * 0.05)

    def _ledger_wait(self, which: int, cost: int, limit: float, now: float) -> float:
        """Until the last window has room for ``cost`` more (requests or tokens)."""
        allowed = limit * LEDGER_SHARE
        used = len(self._ledger) if which == REQUESTS else self._ledger_tokens
        excess = used + cost - allowed
        if excess <= 0 or not self._ledger:
            return 0.0
        freed = 0
        kept = self._kept()
        for admitted_at, tokens in self._ledger:
            freed += 1 if which == REQUESTS else tokens
            if freed >= excess:
                return admitted_at + kept - now
        return self._ledger[-1][0] + kept - now  # bigger than a window's room: wait for an empty one

    def _server_wait(self, tokens: int, now: float) -> float:
        """Until the server's last reported room, less what went since, covers the request."""
        view = self._view
        if view is None:
            return 0.0
        since = (self.admitted - view.number, self.admitted_tokens - view.tokens_through)
        waits = []
        for which, need in ((REQUESTS, 1), (TOKENS, tokens)):
            remaining = view.remaining[which]
            if remaining is None or remaining - since[which] >= need:
                continue
            deficit = need - (remaining - since[which])
            reset = view.reset[which]
            hold = reset if reset is not None else self.window
            limit = self.limit(which)
            if limit:
                hold = min(hold, deficit * self.window / limit)  # refilled at the limit's rate
            waits.append(view.at + max(MIN_HOLD, hold) - now)
        return max(waits, default=0.0)

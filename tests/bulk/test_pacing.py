"""The pacer on a fake clock: just under the binding limit, no 429 storm, back off and creep back.

Nothing here sleeps or times anything: the clock is a number the tests move, and
:class:`SlidingWindow` is the emulator's model of OpenAI's limits (a sliding 60 s window
of requests and tokens) on that clock, so a run of thousands of requests is simulated
exactly, in milliseconds.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import pytest

from airflow_provider_openai_adv.bulk import pacing
from airflow_provider_openai_adv.bulk.pacing import Pacer
from airflow_provider_openai_adv.client.ratelimit import RateLimitInfo


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class SlidingWindow:
    """A server's RPM and TPM over a sliding window, answering as the emulator does."""

    def __init__(self, clock, rpm=None, tpm=None, *, window=60.0, headers=True) -> None:
        self.clock, self.rpm, self.tpm, self.window, self.headers = clock, rpm, tpm, window, headers
        self.events: deque[tuple[float, int]] = deque()
        self.most_requests = self.most_tokens = 0  # the fullest the window ever was

    def use(self, tokens: int) -> None:
        """Another consumer of the same key."""
        self.events.append((self.clock(), tokens))

    def admit(self, tokens: int) -> tuple[bool, RateLimitInfo | None, float]:
        now = self.clock()
        while self.events and now - self.events[0][0] >= self.window:
            self.events.popleft()
        used = sum(count for _, count in self.events)
        wait = 0.0
        if self.rpm is not None and len(self.events) + 1 > self.rpm:
            wait = self.events[0][0] + self.window - now
        if self.tpm is not None and used + tokens > self.tpm:
            freed = 0
            for started, count in self.events:
                freed += count
                if freed >= used + tokens - self.tpm:
                    wait = max(wait, started + self.window - now)
                    break
        if wait == 0.0:
            self.events.append((now, tokens))
            used += tokens
            self.most_requests = max(self.most_requests, len(self.events))
            self.most_tokens = max(self.most_tokens, used)
        reset = self.events[0][0] + self.window - now if self.events else 0.0
        info = RateLimitInfo(
            limit_requests=self.rpm, remaining_requests=max(0, self.rpm - len(self.events)) if self.rpm else None,
            reset_requests=reset if self.rpm else None,
            limit_tokens=self.tpm, remaining_tokens=max(0, self.tpm - used) if self.tpm else None,
            reset_tokens=reset if self.tpm else None,
        )  # fmt: skip
        return wait == 0.0, (info if self.headers else None), wait


def simulate(pacer, server, costs, clock, *, latency=0.1, concurrency=16, between=None):
    """Send requests of ``costs`` through the pacer: every one answered once (a 429 is
    sent again). The elapsed time and the number of 429s."""
    queue, flights, started, rejected, order = deque(costs), [], clock.now, 0, 0
    while queue or flights:
        wait = math.inf
        while queue and len(flights) < concurrency:
            wait = pacer.delay(queue[0])
            if wait > 0:
                break
            cost = queue.popleft()
            ticket = pacer.admit(cost)
            heapq.heappush(flights, (clock.now + latency, order, ticket, *server.admit(cost), cost))
            order += 1
        clock.now = min(flights[0][0] if flights else math.inf, clock.now + wait)
        while flights and flights[0][0] <= clock.now:
            _, _, ticket, ok, info, retry_after, cost = heapq.heappop(flights)
            if ok:
                pacer.answered(ticket, info)
            else:
                rejected += 1
                pacer.rate_limited(ticket, retry_after, info)
                queue.appendleft(cost)
        if between is not None:
            between()
    return clock.now - started, rejected


def test_tokens_bind_embeddings_run_just_under_the_tokens_per_minute_without_a_429():
    clock = Clock()
    server = SlidingWindow(clock, rpm=3_000, tpm=1_000_000)
    pacer = Pacer(clock=clock)
    costs = [5_000] * 600  # 3 M tokens: three minutes at the limit
    elapsed, rejected = simulate(pacer, server, costs, clock)
    assert rejected == 0
    share = sum(costs) / (elapsed / 60 * 1_000_000)
    assert 0.95 <= share <= 1.0, share
    assert server.most_tokens <= 1_000_000 and pacer.binding() == "tokens"


def test_requests_bind_chat_runs_just_under_the_requests_per_minute_without_a_429():
    clock = Clock()
    server = SlidingWindow(clock, rpm=600, tpm=10_000_000)
    pacer = Pacer(clock=clock)
    elapsed, rejected = simulate(pacer, server, [300] * 1_800, clock)
    assert rejected == 0
    assert 0.95 <= 1_800 / (elapsed / 60 * 600) <= 1.0
    assert pacer.binding() == "requests"


def test_caps_pace_a_server_that_sends_no_limit_headers():
    clock = Clock()
    server = SlidingWindow(clock, rpm=300, headers=False)
    pacer = Pacer(requests_per_minute=300, clock=clock)
    elapsed, rejected = simulate(pacer, server, [100] * 900, clock)
    assert rejected == 0 and 900 / (elapsed / 60 * 300) >= 0.95


def test_a_cap_below_the_accounts_limit_wins():
    clock = Clock()
    pacer = Pacer(tokens_per_minute=100_000, clock=clock)
    pacer.answered(pacer.admit(10), RateLimitInfo(limit_requests=3_000, limit_tokens=1_000_000))
    assert pacer.limits() == (3_000, 100_000)
    assert pacer.max_request_tokens() == 100_000 * pacing.REQUEST_SHARE


def test_without_headers_or_caps_the_first_429s_teach_the_limits_and_stay_rare():
    clock = Clock()
    server = SlidingWindow(clock, rpm=600, headers=False)
    pacer = Pacer(clock=clock)
    elapsed, rejected = simulate(pacer, server, [100] * 6_000, clock)
    assert pacer.estimated[0] is not None
    assert rejected / 6_000 < 0.01, rejected  # a few episodes, each a handful of 429s
    assert 6_000 / (elapsed / 60 * 600) > 0.85


def test_another_consumer_of_the_key_is_seen_in_remaining_and_429s_stay_rare():
    clock = Clock()
    server = SlidingWindow(clock, rpm=10_000, tpm=1_000_000)
    pacer = Pacer(clock=clock)
    last = [clock.now]

    def neighbour() -> None:  # uses 30 % of the tokens per minute, steadily
        while last[0] + 0.5 <= clock.now:
            last[0] += 0.5
            server.use(2_500)

    requests = 1_200
    elapsed, rejected = simulate(pacer, server, [5_000] * requests, clock, between=neighbour)
    assert rejected / requests < 0.01, rejected
    assert server.most_tokens <= 1_000_000


def test_the_probe_goes_alone_until_the_first_answer():
    clock = Clock()
    pacer = Pacer(clock=clock)
    assert pacer.delay(100) == 0 and pacer.max_request_tokens() == pacing.PROBE_TOKENS
    ticket = pacer.admit(100)
    assert pacer.delay(100) == math.inf
    pacer.answered(ticket, RateLimitInfo(limit_requests=60, remaining_requests=59, limit_tokens=1_000_000))
    assert pacer.delay(100) == 0 and pacer.max_request_tokens() == 5_000
    pacer.admit(100)
    assert pacer.delay(100) == pytest.approx(60 / (60 * pacing.TARGET))  # paced from now on


def test_a_probe_without_an_answer_lets_the_next_one_go():
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.released(pacer.admit(100))
    assert pacer.delay(100) == 0


def test_a_429_holds_for_its_retry_after_and_backs_off_once_for_the_requests_in_flight():
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.answered(pacer.admit(10), RateLimitInfo(limit_requests=6_000, limit_tokens=10_000_000))
    tickets = []
    for _ in range(3):
        clock.now += pacer.delay(10)
        tickets.append(pacer.admit(10))
    for ticket in tickets:  # one episode: three echoes of the same overrun
        pacer.rate_limited(ticket, retry_after=2.0)
    assert pacer.backoffs == 1 and pacer.rate_limited_answers == 3
    assert pacer.share() == pytest.approx(pacing.TARGET * pacing.BACKOFF)
    assert pacer.delay(10) == pytest.approx(2.0)
    clock.now += 10
    assert pacer.share() == pytest.approx(pacing.TARGET * pacing.BACKOFF + 10 * pacing.CREEP)
    clock.now += 60
    assert pacer.share() == pacing.TARGET  # crept back, no further
    later = pacer.admit(10)
    pacer.rate_limited(later)  # a new episode: admitted after the backoff
    assert pacer.backoffs == 2 and pacer.delay(10) == pytest.approx(pacing.DEFAULT_RETRY_AFTER)


def test_a_limit_learnt_late_is_kept_over_the_last_minute_by_the_ledger():
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.answered(pacer.admit(1), None)  # no headers: nothing to pace by
    tickets = [pacer.admit(1) for _ in range(99)]  # 100 requests in a second
    assert pacer.delay(1) == 0
    clock.now += 1
    pacer.answered(tickets[-1], RateLimitInfo(limit_requests=100))
    assert pacer.delay(1) == pytest.approx(59.0 + pacing.LEDGER_SLACK)  # until the first leaves the minute


def test_what_other_users_of_the_key_take_is_left_to_them():
    clock = Clock()
    pacer = Pacer(clock=clock)
    first = pacer.admit(1_000)
    pacer.answered(first, RateLimitInfo(limit_tokens=600_000, remaining_tokens=300_000))  # we sent 1,000 of 300,000
    assert pacer.others[1] == 299_000 and pacer.limit(1) == 301_000
    later = pacer.admit(1_000)
    pacer.answered(later, RateLimitInfo(limit_tokens=600_000, remaining_tokens=598_000))  # they stopped
    assert pacer.others[1] == 0 and pacer.limit(1) == 600_000


def test_what_the_server_says_remains_less_what_went_since_must_cover_the_request():
    clock = Clock()
    pacer = Pacer(clock=clock)
    first = pacer.admit(1_000)
    pacer.answered(first, RateLimitInfo(remaining_tokens=0, reset_tokens=2.0))  # no limit headers: wait for reset
    assert pacer.delay(1_000) == pytest.approx(2.0)
    clock.now += 1.5
    assert pacer.delay(1_000) == pytest.approx(0.5)
    clock.now += 0.5
    second = pacer.admit(1_000)
    pacer.answered(second, RateLimitInfo(remaining_tokens=50_000, reset_tokens=0.01))
    assert pacer.delay(1_000) == 0


def test_without_any_limit_nothing_is_held():
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.answered(pacer.admit(10))
    assert all(pacer.delay(10) == 0 for _ in range(100) if pacer.admit(10))
    assert pacer.limits() == (None, None) and pacer.binding() is None

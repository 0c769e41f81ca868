"""Bulk work as direct requests: the rows' requests packed, sent concurrently within the
account's rate limits, each result checkpointed beside the output as it arrives.

The same rows in and results out as the Batch API (:mod:`.rows`, :mod:`.template`,
:mod:`.results`), for answers needed within the hour rather than the day:

* **Packed** (:func:`chunks`). Embeddings rows share requests: up to 2,048 inputs
  (``validation.EMBEDDING_INPUTS``) and the pacer's small share of the tokens per minute,
  never over OpenAI's 300,000 tokens a request; a row whose text may be over the 8,192
  tokens of one input goes alone, so that its refusal takes no other row with it. Other
  endpoints send one row per request. Tokens are estimated the way OpenAI estimates them
  for its limits: characters / 4, plus the output a request asks for.
* **Sent** (:class:`DirectRequests`): a thread pool over one pooled client, each request
  admitted by a :class:`~.pacing.Pacer`. Every attempt is the engine's (the client's own
  retries are off), so the pacer sees every answer: a 429 is paced and sent again; 5xx,
  timeouts and dropped connections are retried ``max_retries`` times with backoff; a packed
  request refused (400/413/422) is split in halves until the refused row stands alone;
  401, 403, 404 and an exhausted quota stop the run, as they would refuse every row, and so
  do :data:`BREAKER` refusals before any success (the body is wrong, not the rows).
* **Split back** (:func:`answer_lines`): one result line per row in the Batch API's output
  shape; a packed embeddings answer gives each row its vector (``index`` 0, as if sent
  alone) and a share of the usage by input length (the shares add up to the answer's).
* **Checkpointed** (:class:`~.checkpoint.Checkpoint`): every finished row's line, beside the output, as
  it arrives; a retried task reads it and sends only the rest.
* **Written** (:class:`BulkJob`): the checkpoint indexed (:class:`~.results.ResultIndex`),
  one record per input row in input order (:class:`~.results.ResultWriter`).

Memory stays flat in the row count: rows are read as they are sent (after one counting
pass, which also checks that the ids are unique, in SQLite on disk), at most
``max_concurrency`` requests and their retries are held, results go to disk.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import math
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_openai_adv.bulk.checkpoint import CHECKPOINT_EVERY, Checkpoint, RowDigest, fingerprint
from airflow_provider_openai_adv.bulk.pacing import TOKENS, Pacer, Ticket
from airflow_provider_openai_adv.bulk.results import ResultIndex, ResultWriter, Summary, results_in_order
from airflow_provider_openai_adv.bulk.rows import Row, RowSource, UniqueIds
from airflow_provider_openai_adv.bulk.template import RequestTemplate
from airflow_provider_openai_adv.exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InsufficientQuotaError,
    InvalidResponseError,
    OpenAIAdvError,
    OpenAIValidationError,
    RateLimitError,
    TLSVerificationError,
)
from airflow_provider_openai_adv.validation import EMBEDDING_INPUT_TOKENS, EMBEDDING_INPUTS, EMBEDDING_REQUEST_TOKENS

log = logging.getLogger("airflow_provider_openai_adv.bulk")

EMBEDDINGS = "/v1/embeddings"
CHARS_PER_TOKEN = 4  # OpenAI's rule of thumb, and how it estimates a request against TPM
OUTPUT_FIELDS = ("max_completion_tokens", "max_tokens", "max_output_tokens")  # output a request asks for
MAX_RETRIES = 5  # attempts after the first, for 5xx, timeouts and dropped connections
MAX_RATE_LIMITED = 20  # 429s one request may get before its rows are left for the next try
BREAKER = 20  # refusals before any success that stop the run
FATAL_STATUSES = frozenset({401, 403, 404})  # every row would get them: stop
REFUSED_STATUSES = frozenset({400, 413, 422})  # the request's content: split a packed one
PROGRESS_EVERY = 30.0  # seconds between progress lines in the task log
_WAIT_AT_MOST = 1.0  # the dispatcher looks around at least this often


class BulkStopped(OpenAIAdvError):
    """The run was stopped from outside (the task was killed); finished rows are checkpointed."""


# -- requests ----------------------------------------------------------------------------


def estimate_tokens(body: dict[str, Any]) -> int:
    """What a request counts against tokens per minute, estimated as OpenAI does: its
    characters / 4 (of the JSON sent) plus the output it asks for."""
    output = next((body[name] for name in OUTPUT_FIELDS if type(body.get(name)) is int), 0)
    return math.ceil(len(json.dumps(body)) / CHARS_PER_TOKEN) + output


@dataclass
class Chunk:
    """One request: the rows it carries and its body."""

    ids: list[str]
    body: dict[str, Any]
    tokens: int
    weights: list[int] | None = None  # packed embeddings: each row's input length (usage shares)
    attempts: int = 0  # failed attempts, 429s apart
    rate_limited: int = 0

    @property
    def packed(self) -> bool:
        return self.weights is not None

    def halves(self) -> tuple[Chunk, Chunk]:
        middle = len(self.ids) // 2
        return self._part(0, middle), self._part(middle, len(self.ids))

    def _part(self, start: int, stop: int) -> Chunk:
        body = {**self.body, "input": self.body["input"][start:stop]}
        weights = self.weights[start:stop] if self.weights is not None else None
        return Chunk(self.ids[start:stop], body, estimate_tokens(body), weights)


def chunks(
    rows: Iterable[Row], template: RequestTemplate, max_tokens: Callable[[], int] = lambda: EMBEDDING_REQUEST_TOKENS
) -> Iterator[Chunk]:
    """The rows' requests, in input order. Embeddings rows whose ``input`` is one text (or
    one token array, not mixed) and whose other fields are alike share a request, within 2,048 inputs
    and ``max_tokens()`` (asked as each request fills, so packing follows what the pacer
    has learnt); every other row is a request of its own."""
    packing = template.endpoint == EMBEDDINGS
    pack: _Pack | None = None
    for row in rows:
        body = template.request(row.values)
        item = body.get("input") if packing else None
        if not _packable(item):
            if pack is not None:
                yield pack.chunk()
                pack = None
            yield Chunk([row.custom_id], body, estimate_tokens(body))
            continue
        size = len(json.dumps(item))
        alike = {name: value for name, value in body.items() if name != "input"}
        key = json.dumps([isinstance(item, str), alike], sort_keys=True)  # texts and token arrays do not mix
        budget = min(EMBEDDING_REQUEST_TOKENS, max_tokens()) * CHARS_PER_TOKEN
        if pack is not None and not pack.fits(key, size, budget):
            yield pack.chunk()
            pack = None
        if pack is None:
            pack = _Pack(key, body)
        pack.add(row.custom_id, item, size)
    if pack is not None:
        yield pack.chunk()


def _packable(item: Any) -> bool:
    """One text, or one token array, that is surely within an input's 8,192 tokens."""
    if isinstance(item, str):
        return 0 < math.ceil(len(item) / CHARS_PER_TOKEN) <= EMBEDDING_INPUT_TOKENS
    if not isinstance(item, list) or not 0 < len(item) <= EMBEDDING_INPUT_TOKENS:
        return False
    return all(type(token) is int for token in item)  # bools are not tokens


class _Pack:
    """Embeddings rows filling one request."""

    def __init__(self, key: str, body: dict[str, Any]) -> None:
        self.key, self.body = key, body
        self.ids: list[str] = []
        self.inputs: list[Any] = []
        self.weights: list[int] = []
        self.chars = len(json.dumps({**body, "input": []}))

    def fits(self, key: str, size: int, budget: int) -> bool:
        return key == self.key and len(self.ids) < EMBEDDING_INPUTS and self.chars + size + 2 <= budget

    def add(self, custom_id: str, item: Any, size: int) -> None:
        self.chars += size + (2 if self.ids else 0)  # ", " between inputs
        self.ids.append(custom_id)
        self.inputs.append(item)
        self.weights.append(size)

    def chunk(self) -> Chunk:
        return Chunk(
            self.ids, {**self.body, "input": self.inputs}, math.ceil(self.chars / CHARS_PER_TOKEN), self.weights
        )


# -- results -------------------------------------------------------------------------------


def _line(custom_id: str, response: dict[str, Any] | None, error: dict[str, Any] | None = None) -> bytes:
    record = {"custom_id": custom_id, "response": response, "error": error}
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def answer_lines(chunk: Chunk, answer: dict[str, Any], request_id: str | None) -> bytes:
    """The result line of each of the chunk's rows, from its answer."""
    if not chunk.packed:
        return _line(chunk.ids[0], {"status_code": 200, "request_id": request_id, "body": answer})
    data = answer.get("data")
    items = {item.get("index"): item for item in data if isinstance(item, dict)} if isinstance(data, list) else {}
    if len(data or ()) != len(chunk.ids) or set(items) != set(range(len(chunk.ids))):
        raise InvalidResponseError(
            f"POST {EMBEDDINGS}: {len(chunk.ids)} inputs were sent, the answer does not hold one embedding for each"
        )
    shared = {name: value for name, value in answer.items() if name not in ("data", "usage")}
    usages = _apportion(answer.get("usage"), chunk.weights or [])
    return b"".join(
        _line(
            custom_id,
            {
                "status_code": 200,
                "request_id": request_id,
                "body": {**shared, "data": [{**items[number], "index": 0}], "usage": usages[number]},
            },
        )
        for number, custom_id in enumerate(chunk.ids)
    )


def _apportion(usage: Any, weights: list[int]) -> list[dict[str, int]]:
    """Each row's share of a packed request's usage, by weight; the shares add up to it."""
    shares: list[dict[str, int]] = [{} for _ in weights]
    total = sum(weights)
    if not isinstance(usage, dict) or not weights:
        return shares
    for key, value in usage.items():
        if type(value) is not int:
            continue
        exact = [value * weight / total if total else value / len(weights) for weight in weights]
        whole = [int(part) for part in exact]
        by_remainder = sorted(range(len(weights)), key=lambda number: whole[number] - exact[number])
        for number in by_remainder[: value - sum(whole)]:
            whole[number] += 1
        for share, part in zip(shares, whole, strict=True):
            share[key] = part
    return shares


def error_lines(chunk: Chunk, error: BaseException) -> bytes:
    """The result line of each of the chunk's rows, for a request that got no answer."""
    if isinstance(error, APIStatusError):
        body = error.body if isinstance(error.body, dict) else {"error": {"message": error.message, "code": error.code}}
        response = {"status_code": error.status_code, "request_id": error.request_id, "body": body}
        return b"".join(_line(custom_id, response) for custom_id in chunk.ids)
    problem = {"code": _error_code(error), "message": str(error)[:2000]}
    return b"".join(_line(custom_id, None, problem) for custom_id in chunk.ids)


def _error_code(error: BaseException) -> str:
    for kind, code in (
        (APITimeoutError, "timeout"),
        (APIConnectionError, "connection_error"),
        (InvalidResponseError, "invalid_response"),
    ):
        if isinstance(error, kind):
            return code
    return getattr(error, "code", None) or type(error).__name__


# -- sending -------------------------------------------------------------------------------


@dataclass
class Tally:
    """How a run went, for the log and XCom."""

    total: int = 0  # rows in the input
    skipped: int = 0  # finished by an earlier try
    succeeded: int = 0
    failed: int = 0  # rows with a final refusal, or whose retries ran out
    requests: int = 0  # requests sent (429s and retries included)
    rate_limited: int = 0  # 429 answers
    retried: int = 0  # attempts after a 5xx, timeout or dropped connection
    tokens: int = 0  # estimated tokens sent
    started: float = 0.0
    ended: float = 0.0

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed


def direct_client(client: Any, max_concurrency: int) -> Any:
    """The connection's client for the engine: no retries of its own (the engine's are
    paced) and a connection pool as large as the concurrency."""
    from dataclasses import replace

    from airflow_provider_openai_adv.client.http import OpenAIClient

    config = replace(client.config, max_retries=0, pool_size=max(client.config.pool_size, max_concurrency))
    return OpenAIClient(config)


def _decoded(response: Any) -> tuple[dict[str, Any], Any, str | None]:
    return response.json(), response.rate_limit, response.request_id


_DONE = object()


class DirectRequests:
    """Sends chunks concurrently, each admitted by the pacer; results to the checkpoint.

    Finished rows (succeeded, or refused for good) go to ``checkpoint``; rows whose retries
    ran out go to ``failures`` (this try's output says so; the next try sends them again).

    :param client: an ``OpenAIClient`` without retries of its own (:func:`direct_client`).
    """

    def __init__(
        self,
        client: Any,
        template: RequestTemplate,
        pacer: Pacer,
        checkpoint: Checkpoint,
        failures: Path,
        *,
        max_concurrency: int = 16,
        max_retries: int = MAX_RETRIES,
        logger: Any = log,
        progress_every: float = PROGRESS_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.template = template
        self.path = template.endpoint.removeprefix("/v1/")
        self.pacer = pacer
        self.checkpoint = checkpoint
        self.failures = failures
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.log = logger
        self.progress_every = progress_every
        self.clock = clock
        self.tally = Tally()
        self._cond = threading.Condition()
        self._retries: list[tuple[float, int, Chunk]] = []  # a heap, by when each may go again
        self._order = itertools.count()
        self._in_flight = 0
        self._fatal: BaseException | None = None
        self._successes = self._refusals = 0
        self._failures_lock = threading.Lock()
        self._logged_at = 0.0

    def stop(self, why: str) -> None:
        """Send nothing more; the requests in flight finish and are checkpointed."""
        self._halt(BulkStopped(f"Bulk requests stopped: {why}; finished rows are in the checkpoint"))

    def run(self, rows: Iterable[Row], total: int, skipped: int = 0) -> Tally:
        """Send every row's request; the tally. Raises what stopped the run, after the
        requests in flight have finished."""
        self.tally = Tally(total=total, skipped=skipped, started=self.clock())
        self._logged_at = self.tally.started
        source = chunks(rows, self.template, self.pacer.max_request_tokens)
        pending: Chunk | None = None
        exhausted = False
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="openai-bulk") as pool:
            try:
                while True:
                    if pending is None and not exhausted:
                        pending = next(source, None)
                        exhausted = pending is None
                    taken = self._dispatch(pool, pending, exhausted)
                    if taken is _DONE:
                        break
                    if taken is pending:
                        pending = None
            except BaseException as error:  # a row that cannot be read, a kill: let the flights land
                self._halt(error)
                raise
        self.tally.ended = self.clock()
        if self._fatal is not None:
            raise self._fatal
        self._progress(final=True)
        return self.tally

    # -- the dispatcher ----------------------------------------------------------------

    def _dispatch(self, pool: ThreadPoolExecutor, pending: Chunk | None, exhausted: bool) -> Any:
        """Send the next chunk when the concurrency and the pacer allow; what was taken."""
        with self._cond:
            while True:
                if self._fatal is not None:
                    return _DONE
                now = self.clock()
                self._progress()
                retry = bool(self._retries) and self._retries[0][0] <= now
                chunk = self._retries[0][2] if retry else pending
                if chunk is None:
                    if exhausted and not self._retries and self._in_flight == 0:
                        return _DONE
                    self._wait(self._retries[0][0] - now if self._retries else None)
                    continue
                if self._in_flight >= self.max_concurrency:
                    self._wait(None)
                    continue
                if self._oversized(chunk, retry):
                    return chunk
                delay = self.pacer.delay(chunk.tokens)
                if delay > 0:
                    self._wait(None if math.isinf(delay) else delay)
                    continue
                if retry:
                    heapq.heappop(self._retries)
                ticket = self.pacer.admit(chunk.tokens)
                self._in_flight += 1
                self.tally.requests += 1
                self.tally.tokens += chunk.tokens
                break
        pool.submit(self._send, chunk, ticket)
        return chunk

    def _wait(self, seconds: float | None) -> None:
        self._cond.wait(_WAIT_AT_MOST if seconds is None else max(0.0, min(seconds, _WAIT_AT_MOST)))

    def _oversized(self, chunk: Chunk, retry: bool) -> bool:
        """Split a packed request over what the limits turned out to allow; refuse one row
        that alone is over the tokens per minute (it could never be admitted)."""
        tokens_per_minute = self.pacer.account_limit(TOKENS)
        split = chunk.packed and len(chunk.ids) > 1 and chunk.tokens > 2 * self.pacer.max_request_tokens()
        alone = not split and tokens_per_minute is not None and chunk.tokens > tokens_per_minute
        if not (split or alone):
            return False
        if retry:
            heapq.heappop(self._retries)
        if split:
            for half in chunk.halves():
                self._requeue(half, self.clock())
            return True
        error = OpenAIValidationError(
            f"the request's estimated {chunk.tokens:,} tokens are over the account's "
            f"{tokens_per_minute:,.0f} tokens per minute; it cannot be sent"
        )
        self.checkpoint.append(error_lines(chunk, error))
        self.tally.failed += len(chunk.ids)
        return True

    def _requeue(self, chunk: Chunk, ready_at: float) -> None:
        heapq.heappush(self._retries, (ready_at, next(self._order), chunk))

    # -- the workers -------------------------------------------------------------------

    def _send(self, chunk: Chunk, ticket: Ticket) -> None:
        try:
            self._attempt(chunk, ticket)
        except BaseException as error:  # a bug: stop the run rather than lose rows quietly
            self._halt(error)
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def _attempt(self, chunk: Chunk, ticket: Ticket) -> None:
        from airflow_provider_openai_adv.client.ratelimit import RateLimitInfo
        from airflow_provider_openai_adv.client.retry import server_retry_after

        try:
            answer, info, request_id = self.client.request("POST", self.path, json=chunk.body, decode=_decoded)
        except RateLimitError as error:
            info = RateLimitInfo.from_headers(error.headers)
            if isinstance(error, InsufficientQuotaError):
                self._answered(ticket, info)
                return self._halt(error)
            with self._cond:
                self.pacer.rate_limited(ticket, server_retry_after(error.headers), info)
                self.tally.rate_limited += 1
                chunk.rate_limited += 1
                if chunk.rate_limited <= MAX_RATE_LIMITED:
                    return self._requeue(chunk, self.clock())
            return self._give_up(chunk, error)
        except APIStatusError as error:
            self._answered(ticket, RateLimitInfo.from_headers(error.headers))
            if error.status_code in FATAL_STATUSES:
                return self._halt(error)
            if error.status_code in REFUSED_STATUSES or not self.client.retry_policy.decide(error).retry:
                return self._refused(chunk, error)
            return self._retry(chunk, error)
        except TLSVerificationError as error:
            self._released(ticket)
            return self._halt(error)
        except APIConnectionError as error:
            self._released(ticket)
            return self._retry(chunk, error)
        except InvalidResponseError as error:  # an answer that is not the API's JSON
            self._answered(ticket, None)
            return self._retry(chunk, error)
        self._answered(ticket, info)
        try:
            lines = answer_lines(chunk, answer, request_id)
        except InvalidResponseError as error:
            return self._retry(chunk, error)
        self.checkpoint.append(lines)
        with self._cond:
            self.tally.succeeded += len(chunk.ids)
            self._successes += 1

    def _answered(self, ticket: Ticket, info: Any) -> None:
        with self._cond:
            self.pacer.answered(ticket, info)

    def _released(self, ticket: Ticket) -> None:
        with self._cond:
            self.pacer.released(ticket)

    def _retry(self, chunk: Chunk, error: BaseException) -> None:
        chunk.attempts += 1
        if chunk.attempts > self.max_retries:
            return self._give_up(chunk, error)
        wait = self.client.retry_policy.wait_seconds(error, chunk.attempts)
        with self._cond:
            self.tally.retried += 1
            self._requeue(chunk, self.clock() + wait)
        self.log.debug("Retrying a request of %d rows in %.1f s: %s", len(chunk.ids), wait, error)

    def _refused(self, chunk: Chunk, error: APIStatusError) -> None:
        """A request refused for what it holds: split a packed one to find the row; a lone
        row fails for good (into the checkpoint: sending it again would change nothing)."""
        with self._cond:
            self._refusals += 1
            if self._successes == 0 and self._refusals >= BREAKER:
                self.log.error("The first %d answers were all refusals; stopping: %s", self._refusals, error)
                self._fatal = self._fatal or error
                self._cond.notify_all()
                return
            if chunk.packed and len(chunk.ids) > 1:
                for half in chunk.halves():
                    self._requeue(half, self.clock())
                return
        self.checkpoint.append(error_lines(chunk, error))
        with self._cond:
            self.tally.failed += len(chunk.ids)

    def _give_up(self, chunk: Chunk, error: BaseException) -> None:
        """Retries ran out: this try's output says so; the next try sends the rows again."""
        with self._failures_lock, self.failures.open("ab") as handle:
            handle.write(error_lines(chunk, error))
        with self._cond:
            self.tally.failed += len(chunk.ids)
        self.log.warning("A request of %d rows failed after its retries: %s", len(chunk.ids), error)

    def _halt(self, error: BaseException) -> None:
        with self._cond:
            if self._fatal is None:
                self._fatal = error
            self._cond.notify_all()

    # -- progress ------------------------------------------------------------------------

    def _progress(self, final: bool = False) -> None:
        now = self.clock()
        if not final and now - self._logged_at < self.progress_every:
            return
        self._logged_at = now
        tally, pacer = self.tally, self.pacer
        done = tally.skipped + tally.finished
        elapsed = max(now - tally.started, 1e-9)
        rate = tally.finished / elapsed
        requests, tokens = pacer.last_minute()
        rpm, tpm = pacer.limits()
        limits = (
            ", ".join(f"{value:,.0f} {unit}" for value, unit in ((rpm, "RPM"), (tpm, "TPM")) if value)
            or "not known yet"
        )
        binding = pacer.binding()
        summary = (
            f"{done:,} / {tally.total:,} rows ({done / max(tally.total, 1):.0%}), {rate:,.1f} rows/s; "
            f"last minute {requests:,} requests, {tokens:,} tokens (limits {limits}"
            f"{f'; {binding} bind' if binding else ''}); {tally.retried:,} retried, {tally.rate_limited:,} answered 429"
        )
        if final:
            self.log.info(
                "Bulk requests done in %s: %s; %d succeeded, %d failed, %d requests",
                _duration(elapsed), summary, tally.succeeded, tally.failed, tally.requests,
            )  # fmt: skip
            return
        left = (tally.total - done) / rate if rate > 0 else None
        self.log.info("Bulk requests: %s; %s", summary, f"about {_duration(left)} left" if left else "finish unknown")


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


# -- the job ---------------------------------------------------------------------------------


class BulkJob:
    """One run: the checkpoint read, finished rows skipped, the rest sent, every row's
    result written in input order to ``output_path``.

    :meth:`run` returns the output's :class:`~.results.Summary` and leaves the checkpoint;
    :meth:`discard_checkpoint` removes it once the output is accepted (a task that fails on
    too many failed rows keeps it, so its retry sends only the rows without an answer).
    """

    def __init__(
        self,
        rows: RowSource,
        template: RequestTemplate,
        output_path: Any,
        client: Any,
        pacer: Pacer,
        *,
        output_format: str | None = None,
        max_concurrency: int = 16,
        max_retries: int = MAX_RETRIES,
        logger: Any = log,
        progress_every: float = PROGRESS_EVERY,
        checkpoint_every: float = CHECKPOINT_EVERY,
    ) -> None:
        self.rows, self.template, self.output_path, self.output_format = rows, template, output_path, output_format
        self.client, self.pacer = client, pacer
        self.max_concurrency, self.max_retries = max_concurrency, max_retries
        self.log, self.progress_every, self.checkpoint_every = logger, progress_every, checkpoint_every
        self.checkpoint: Checkpoint | None = None
        self.sender: DirectRequests | None = None
        self.tally = Tally()

    def run(self) -> Summary:
        staging = Path(tempfile.mkdtemp(prefix="openai-adv-bulk-"))
        try:
            total, digest = self._count(staging)  # before the checkpoint: a refused input leaves nothing behind
            self.checkpoint = checkpoint = Checkpoint(
                self.output_path, fingerprint(digest, self.template), staging / "checkpoint",
                every=self.checkpoint_every,
            )  # fmt: skip
            checkpoint.open()
            finished = _index(staging / "earlier", checkpoint.files())
            try:
                skipped = len(finished)  # the checkpoint is this job's (its fingerprint): its rows are the input's
                if skipped:
                    self.log.info(
                        "Resuming: %d of %d rows were finished by an earlier try (%s)",
                        skipped, total, checkpoint.location,
                    )  # fmt: skip
                self.sender = DirectRequests(
                    self.client, self.template, self.pacer, checkpoint, staging / "failures.jsonl",
                    max_concurrency=self.max_concurrency, max_retries=self.max_retries, logger=self.log,
                    progress_every=self.progress_every,
                )  # fmt: skip
                todo = (row for row in self.rows if row.custom_id not in finished)
                self.tally = self.sender.run(todo, total, skipped)
            finally:
                finished.close()
                checkpoint.close()
            return self._write(staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def stop(self, why: str) -> None:
        if self.sender is not None:
            self.sender.stop(why)

    def discard_checkpoint(self) -> None:
        if self.checkpoint is not None:
            self.checkpoint.remove()

    def _count(self, staging: Path) -> tuple[int, str]:
        """Every row read once before any request: ids unique, rows counted (for progress),
        and their digest (for the checkpoint's fingerprint)."""
        seen, digest = UniqueIds(staging), RowDigest()
        total = 0
        try:
            for row in self.rows:
                seen.add(row)
                digest.add(row)
                total += 1
        finally:
            seen.close()
        return total, digest.hexdigest()

    def _write(self, staging: Path) -> Summary:
        assert self.checkpoint is not None
        failures = staging / "failures.jsonl"
        index = _index(staging / "index", ([failures] if failures.exists() else []) + self.checkpoint.files())
        try:
            with ResultWriter(self.output_path, self.output_format, parse=self.template.parser) as writer:
                for row, result in results_in_order(iter(self.rows), index):
                    writer.write(row, result)
        finally:
            index.close()
        self.log.info("Wrote %d results to %s: %s", writer.summary.total, self.output_path, writer.summary.counts)
        return writer.summary


def _index(folder: Path, files: list[Path]) -> ResultIndex:
    """The result lines of ``files`` (a later line for a row wins)."""
    folder.mkdir(parents=True, exist_ok=True)
    index = ResultIndex(folder)
    for path in files:
        if path.exists() and path.stat().st_size:
            index.add(path)
    return index

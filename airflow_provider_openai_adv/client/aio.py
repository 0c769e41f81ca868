"""An asyncio client for code that must never block its event loop: triggers.

A triggerer runs every deferred task's trigger on one event loop; a blocking request
there would stall all of them, and wrapping the sync client in threads would cap the
number of polls in flight at the thread pool's size. So triggers poll with ``httpx``
(already an Airflow dependency) through this small client. It shares the sync client's
headers, paths, trusted roots, retry policy and error mapping — through modules that
import no HTTP library, so a triggerer never loads ``requests`` — and speaks JSON only:
polling needs nothing else.

**Sharing.** A triggerer restarted with a thousand deferred tasks starts a thousand
triggers in the same instant on one loop. Each building its own ``httpx.AsyncClient``
(proxies read from the environment, a TLS context, a pool) and opening its own sockets
costs the loop hundreds of milliseconds of CPU at once, and a socket per trigger. So
triggers take :func:`pooled_client`: one pooled client per event loop and settings,
shared by every trigger using them and closed when its last user lets go — its requests
queue for a bounded number of connections and start a few dozen per turn of the loop
(the constants below say why) — and :func:`cached_config`: the settings looked up once
per loop and key for half a minute, concurrent lookups sharing one.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from typing import Any

import httpx

from airflow_provider_openai_adv.client.config import ClientConfig
from airflow_provider_openai_adv.client.pagination import MAX_PAGES, Cursors, checked_page
from airflow_provider_openai_adv.client.paths import endpoint
from airflow_provider_openai_adv.client.protocol import (
    MAX_ERROR_BODY,
    MAX_JSON_BODY,
    decode_object,
    default_headers,
    status_error,
)
from airflow_provider_openai_adv.client.retry import RetryPolicy
from airflow_provider_openai_adv.client.tls import ssl_context, trust_store
from airflow_provider_openai_adv.exceptions import (
    APIConnectionError,
    APITimeoutError,
    InvalidResponseError,
    OpenAIAdvError,
    TLSVerificationError,
    redact_secrets,
)

log = logging.getLogger("airflow_provider_openai_adv.client")


class AsyncOpenAIClient:
    """JSON requests to the API from a coroutine, with the sync client's rules.

    :param sleep: how to wait between retries (tests pass a recorder).
    :param max_connections: requests on the wire at once at most, and so sockets (more
        wait their turn, first come first served); ``None``: one httpx client with its
        default limits. See :data:`LANE_CONNECTIONS` for how they are pooled.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_connections: int | None = None,
    ) -> None:
        self.config = config
        self.trust = trust_store(config.ca_bundle)
        self.retry_policy = RetryPolicy(
            max_retries=config.max_retries, max_wait=config.max_retry_wait, async_sleep=sleep
        )
        self.max_connections = max_connections
        self._turns = asyncio.Semaphore(max_connections) if max_connections else None
        self._pace = _Pacer(STARTS_PER_LOOP_TURN) if max_connections else None
        self._lanes: list[httpx.AsyncClient | None] = []  # httpx clients, each with its own small pool
        self._busy: list[int] = []  # requests on each lane now

    def __repr__(self) -> str:
        return f"AsyncOpenAIClient(base_url={self.config.base_url!r})"

    @property
    def http(self) -> httpx.AsyncClient:
        """The (first) httpx client."""
        return self._lane(0)

    def _lane(self, index: int) -> httpx.AsyncClient:
        while len(self._lanes) <= index:
            self._lanes.append(None)
            self._busy.append(0)
        http = self._lanes[index]
        if http is None or http.is_closed:  # closed under us: a new pool, not an error per poll
            limits = httpx.Limits() if self._turns is None else _limits(LANE_CONNECTIONS)
            http = self._lanes[index] = httpx.AsyncClient(
                headers=default_headers(self.config, f"httpx/{httpx.__version__}"),
                timeout=httpx.Timeout(self.config.timeout, connect=self.config.connect_timeout),
                verify=ssl_context(self.trust),
                trust_env=True,  # proxies from the environment, as requests honours them
                limits=limits,
            )
        return http

    async def _take_turn(self) -> int:
        """A lane with a free connection, at once or when a request ends (first come, first
        served); :meth:`_give_turn` gives it back."""
        assert self._turns is not None and self._pace is not None
        await self._turns.acquire()
        try:
            await self._pace.wait()
        except BaseException:
            self._turns.release()
            raise
        index = next((i for i, busy in enumerate(self._busy) if busy < LANE_CONNECTIONS), len(self._busy))
        self._lane(index)
        self._busy[index] += 1
        return index

    def _give_turn(self, index: int) -> None:
        assert self._turns is not None
        self._busy[index] -= 1
        self._turns.release()

    async def aclose(self) -> None:
        for index, http in enumerate(self._lanes):
            self._lanes[index] = None
            if http is not None:
                await http.aclose()

    def url(self, template: str, ids: Mapping[str, Any] | None = None) -> str:
        return f"{self.config.base_url}/{endpoint(template, ids)}"

    async def request(
        self,
        method: str,
        template: str,
        /,
        *,
        ids: Mapping[str, Any] | None = None,
        json: Any = None,
        query: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send one request, retrying as the policy allows; the answer's JSON object."""
        method = method.upper()
        url = self.url(template, ids)
        description = f"{method} {url}"

        # With max_connections, a request waits for its turn before anything else is built:
        # a thousand queued polls then hold a few objects each, not the retry machinery's.
        turn = await self._take_turn() if self._turns is not None else None

        async def attempt() -> dict[str, Any]:
            nonlocal turn
            if self._turns is not None and turn is None:  # a retry queues again
                turn = await self._take_turn()
            try:
                http = self.http if turn is None else self._lane(turn)
                async with http.stream(method, url, json=json, params=query) as response:
                    limit = MAX_ERROR_BODY if response.status_code >= 400 else MAX_JSON_BODY
                    content = await _read(response, limit, description)
                # httpx's response and its stream refer to each other: unlinked, they are freed
                # now, not by the cyclic GC, whose full passes over a triggerer's heap stall the loop
                response.stream = _READ
            except httpx.TransportError as error:
                raise self._connection_error(description, error) from None
            finally:
                if turn is not None:  # the connection is free again; decoding needs none
                    self._give_turn(turn)
                    turn = None
            if self._pace is not None:  # answers arriving together are decoded (and acted on) a few per turn
                await self._pace.wait()
            if response.status_code >= 400:
                raise status_error(
                    response.status_code, response.reason_phrase, response.headers, content, self.config.api_key
                )
            request_id = response.headers.get("x-request-id")
            return decode_object(content, description=description, request_id=request_id, api_key=self.config.api_key)

        try:
            return await self.retry_policy.acall(attempt, description=description)
        finally:
            if turn is not None:  # cancelled before the first attempt began
                self._give_turn(turn)

    async def get(self, template: str, /, query: Mapping[str, Any] | None = None, **ids: Any) -> dict[str, Any]:
        return await self.request("GET", template, ids=ids, query=query)

    async def post(self, template: str, /, json: Any = None, **ids: Any) -> dict[str, Any]:
        return await self.request("POST", template, ids=ids, json=json)

    async def pages(
        self, template: str, /, query: Mapping[str, Any] | None = None, *, max_pages: int = MAX_PAGES, **ids: Any
    ) -> AsyncIterator[dict[str, Any]]:
        """Each page of a cursor-paginated list, checked as the sync client's are."""
        params = dict(query or {})
        cursors = Cursors(max_pages)
        while True:
            page = checked_page(await self.get(template, params, **ids))
            yield page
            after = cursors.next(page)
            if after is None:
                return
            params["after"] = after

    def _connection_error(self, description: str, error: httpx.TransportError) -> OpenAIAdvError:
        text = redact_secrets(str(error) or type(error).__name__, self.config.api_key)
        if _is_certificate_failure(error):
            return TLSVerificationError(
                f"{description}: the server's certificate cannot be verified ({text}); trust its CA with the "
                "connection's ca_bundle extra, REQUESTS_CA_BUNDLE or SSL_CERT_FILE"
            )
        never_sent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
        if isinstance(error, httpx.TimeoutException):
            return APITimeoutError(f"{description}: timeout: {text}", may_have_reached_server=not never_sent)
        return APIConnectionError(f"{description}: connection failed: {text}", may_have_reached_server=not never_sent)


# -- one pooled client per event loop and settings, shared by the triggers ----------------

SHARED_MAX_CONNECTIONS = 200
"""Requests on the wire at once, and so sockets, of one shared client. A thousand
triggers polling together wait in a few rounds rather than opening a thousand sockets
(a triggerer's file limit is often 1,024)."""

LANE_CONNECTIONS = 4
"""Connections per httpx client of a client with ``max_connections``: its requests are
spread over as many small httpx clients ("lanes") as needed, each filled before the next
is made. httpcore 1.0's pool, each time a request starts or ends, does work proportional
to its connections times its idle connections, and to its queued requests times its
connections (encode/httpcore#1035): one pool of 200 connections costs the loop
milliseconds per request, and 800 requests queued in it stalled the loop for 80 s in
our benchmark. Small pools, with our own first-come-first-served queue in front, keep
each request's cost flat."""

STARTS_PER_LOOP_TURN = 32
"""Requests a client with ``max_connections`` starts, and answers it decodes, per turn of
the event loop. A turn runs every callback that is ready: unbounded, the 200 requests let
go together (a thousand triggers starting, or 200 answers arriving at once) are all built
and sent — and, one latency later, all decoded and acted on — in one turn, at about half
a millisecond of the loop's time each. Spread over turns, other coroutines run between."""

CONFIG_TTL = 30.0
"""Seconds a looked-up configuration serves the triggers starting later on the same loop."""

_READ = httpx.ByteStream(b"")  # what a read response's stream is replaced with (see ``request``)


def _limits(max_connections: int) -> httpx.Limits:
    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)


class _Pacer:
    """Lets at most ``per_turn`` callers through per turn of the event loop; the others
    wait for a later turn, first come first served."""

    def __init__(self, per_turn: int) -> None:
        self.per_turn = per_turn
        self._passed = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._next_turn: asyncio.Handle | None = None

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        if self._next_turn is None:
            self._next_turn = loop.call_soon(self._turn, loop)
        if self._passed < self.per_turn and not self._waiting:
            self._passed += 1
            return
        waiter = loop.create_future()
        self._waiting.append(waiter)
        await waiter

    def _turn(self, loop: asyncio.AbstractEventLoop) -> None:
        self._passed = 0
        while self._waiting and self._passed < self.per_turn:
            waiter = self._waiting.popleft()
            if not waiter.done():  # not cancelled meanwhile
                waiter.set_result(None)
                self._passed += 1
        self._next_turn = loop.call_soon(self._turn, loop) if self._passed else None


class PooledClient:
    """One user's hold on its loop's shared client for some settings (see :func:`pooled_client`):
    ``async with pooled_client(config) as client: ...``, or keep it and :meth:`release` it."""

    def __init__(self, share: _LoopShare, entry: _Shared) -> None:
        self._share = share
        self._entry: _Shared | None = entry
        self.client = entry.client

    def __repr__(self) -> str:
        return f"PooledClient({self.client!r}, released={self._entry is None})"

    async def release(self) -> None:
        """Let go (again: nothing). The last user's release closes the shared client; that
        closing fails or is cancelled changes nothing for the user: its work is done."""
        entry, self._entry = self._entry, None
        if entry is None or not self._share.release(entry):
            return
        closing = asyncio.ensure_future(entry.client.aclose())
        _closing.add(closing)
        closing.add_done_callback(_closed)
        await asyncio.shield(closing)  # a cancelled releaser leaves it closing

    async def __aenter__(self) -> AsyncOpenAIClient:
        return self.client

    async def __aexit__(self, *exc_info: object) -> None:
        await self.release()


def pooled_client(config: ClientConfig) -> PooledClient:
    """A hold on the running loop's pooled client for ``config`` — made for the first
    user, shared with every later one, closed when the last lets go. Its requests wait
    their turn for one of :data:`SHARED_MAX_CONNECTIONS` connections. A client is bound to
    the loop its sockets belong to: another loop (another thread) gets its own."""
    share = _loop_share()
    return PooledClient(share, share.acquire(config))


async def paced_start() -> None:
    """Go on now, or in a later turn of the running loop: :data:`STARTS_PER_LOOP_TURN`
    callers go on per turn, first come first served. For work that many coroutines
    begin at once (a thousand triggers started by a restarted triggerer), so that the
    loop's other coroutines run between the batches."""
    await _loop_share().starts.wait()


async def cached_config(
    key: Hashable, load: Callable[[], Awaitable[ClientConfig]], *, ttl: float = CONFIG_TTL
) -> ClientConfig:
    """``await load()``, done once per running loop and ``key`` every ``ttl`` seconds:
    callers arriving meanwhile share that lookup and its result. A failed lookup is not
    kept — its callers all get its error, the next caller looks up again — and a caller
    cancelled while waiting does not cancel it for the others."""
    share = _loop_share()
    loop = asyncio.get_running_loop()
    cached = share.configs.get(key)
    if cached is None or cached[0] <= loop.time():
        lookup = loop.create_task(load())
        lookup.add_done_callback(lambda task: share.lookup_done(key, task))
        cached = share.configs[key] = (loop.time() + ttl, lookup)
    lookup = cached[1]
    if lookup.done():
        return lookup.result()
    return await asyncio.shield(lookup)


class _Shared:
    __slots__ = ("client", "config", "users")

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.client = AsyncOpenAIClient(config, max_connections=SHARED_MAX_CONNECTIONS)
        self.users = 0


class _LoopShare:
    """What the triggers on one event loop share: clients by settings, looked-up settings by
    key, and the pace at which they start."""

    def __init__(self) -> None:
        self.clients: dict[ClientConfig, _Shared] = {}
        self.configs: dict[Hashable, tuple[float, asyncio.Task[ClientConfig]]] = {}
        self.starts = _Pacer(STARTS_PER_LOOP_TURN)

    def acquire(self, config: ClientConfig) -> _Shared:
        entry = self.clients.get(config)
        if entry is None:
            entry = self.clients[config] = _Shared(config)
        entry.users += 1
        return entry

    def release(self, entry: _Shared) -> bool:
        """One user fewer; ``True`` when it was the last (the entry is then forgotten)."""
        entry.users -= 1
        if entry.users > 0:
            return False
        if self.clients.get(entry.config) is entry:
            del self.clients[entry.config]
        return True

    def lookup_done(self, key: Hashable, task: asyncio.Task[ClientConfig]) -> None:
        if task.cancelled() or task.exception() is not None:  # (retrieved: no "never retrieved" warning)
            cached = self.configs.get(key)
            if cached is not None and cached[1] is task:
                del self.configs[key]


_shares: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopShare] = weakref.WeakKeyDictionary()
_unreferenceable: dict[int, tuple[asyncio.AbstractEventLoop, _LoopShare]] = {}
_closing: set[asyncio.Future[None]] = set()  # clients being closed, kept alive until they are


def _closed(closing: asyncio.Future[None]) -> None:
    _closing.discard(closing)
    if not closing.cancelled() and closing.exception() is not None:
        log.warning("Closing a shared OpenAI client failed: %s", type(closing.exception()).__name__)


def _loop_share() -> _LoopShare:
    loop = asyncio.get_running_loop()
    try:
        share = _shares.get(loop)
        if share is None:
            share = _shares[loop] = _LoopShare()
        return share
    except TypeError:  # a loop without weak references (some C implementations): kept by id
        held = _unreferenceable.get(id(loop))
        if held is None or held[0] is not loop:
            held = _unreferenceable[id(loop)] = (loop, _LoopShare())
        return held[1]


async def _read(response: httpx.Response, limit: int, description: str) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise InvalidResponseError(f"{description}: the answer is larger than {limit >> 20} MiB; refused")
    return bytes(body)


def _is_certificate_failure(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        current = current.__cause__ or current.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(error)

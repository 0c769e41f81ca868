"""An asyncio client for code that must never block its event loop: triggers.

A triggerer runs every deferred task's trigger on one event loop; a blocking request
there would stall all of them, and wrapping the sync client in threads would cap the
number of polls in flight at the thread pool's size. So triggers poll with ``httpx``
(already an Airflow dependency) through this small client. It shares the sync client's
headers, paths, trusted roots, retry policy and error mapping — through modules that
import no HTTP library, so a triggerer never loads ``requests`` — and speaks JSON only:
polling needs nothing else.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
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


class AsyncOpenAIClient:
    """JSON requests to the API from a coroutine, with the sync client's rules.

    :param sleep: how to wait between retries (tests pass a recorder).
    """

    def __init__(self, config: ClientConfig, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.config = config
        self.trust = trust_store(config.ca_bundle)
        self.retry_policy = RetryPolicy(
            max_retries=config.max_retries, max_wait=config.max_retry_wait, async_sleep=sleep
        )
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"AsyncOpenAIClient(base_url={self.config.base_url!r})"

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                headers=default_headers(self.config, f"httpx/{httpx.__version__}"),
                timeout=httpx.Timeout(self.config.timeout, connect=self.config.connect_timeout),
                verify=ssl_context(self.trust),
                trust_env=True,  # proxies from the environment, as requests honours them
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

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

        async def attempt() -> dict[str, Any]:
            try:
                async with self.http.stream(method, url, json=json, params=query) as response:
                    limit = MAX_ERROR_BODY if response.status_code >= 400 else MAX_JSON_BODY
                    content = await _read(response, limit, description)
            except httpx.TransportError as error:
                raise self._connection_error(description, error) from None
            if response.status_code >= 400:
                raise status_error(
                    response.status_code, response.reason_phrase, response.headers, content, self.config.api_key
                )
            request_id = response.headers.get("x-request-id")
            return decode_object(content, description=description, request_id=request_id, api_key=self.config.api_key)

        return await self.retry_policy.acall(attempt, description=description)

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

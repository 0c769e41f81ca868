"""An asyncio client for code that must never block its event loop: triggers.

A triggerer runs every deferred task's trigger on one event loop; a blocking request
there would stall all of them, and wrapping the sync client in threads would cap the
number of polls in flight at the thread pool's size. So triggers poll with ``httpx``
(already an Airflow dependency) through this small client, which shares the sync
client's headers, retry policy and error mapping. It speaks JSON only: polling needs
nothing else.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from functools import cache
from typing import Any

import httpx

from airflow_provider_openai_adv.client.config import ClientConfig
from airflow_provider_openai_adv.client.http import default_headers, status_error
from airflow_provider_openai_adv.client.retry import RetryPolicy
from airflow_provider_openai_adv.exceptions import APIConnectionError, APITimeoutError, redact_secrets


@cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client: building one reads the CA bundle (~50 ms), which
    a thousand triggers starting together would otherwise each pay, on the event loop."""
    return httpx.create_ssl_context()


class AsyncOpenAIClient:
    """JSON requests to the API from a coroutine, with the sync client's retry rules."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.retry_policy = RetryPolicy(max_retries=config.max_retries, max_wait=config.max_retry_wait)
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"AsyncOpenAIClient(base_url={self.config.base_url!r})"

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                headers=default_headers(self.config, f"httpx/{httpx.__version__}"),
                timeout=httpx.Timeout(self.config.timeout, connect=self.config.connect_timeout),
                verify=tls_context(),
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def url(self, path: str) -> str:
        return f"{self.config.base_url}/{path.lstrip('/')}"

    async def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """Send one request, retrying as the policy allows; the parsed JSON answer."""
        method, url = method.upper(), self.url(path)

        async def attempt() -> Any:
            try:
                response = await self.http.request(method, url, json=json, params=params)
            except httpx.TransportError as error:
                raise self._connection_error(method, url, error) from None
            if response.status_code >= 400:
                raise status_error(
                    response.status_code, response.reason_phrase, response.headers, response.text, self.config.api_key
                )
            return response.json()

        return await self.retry_policy.acall(attempt, description=f"{method} {url}")

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None) -> Any:
        return await self.request("POST", path, json=json)

    def _connection_error(self, method: str, url: str, error: httpx.TransportError) -> APIConnectionError:
        never_sent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
        text = redact_secrets(str(error) or type(error).__name__, self.config.api_key)
        if isinstance(error, httpx.TimeoutException):
            return APITimeoutError(f"{method} {url}: timeout: {text}", may_have_reached_server=not never_sent)
        return APIConnectionError(f"{method} {url}: connection failed: {text}", may_have_reached_server=not never_sent)

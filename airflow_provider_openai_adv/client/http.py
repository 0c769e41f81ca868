"""The HTTP client: one pooled ``requests.Session``, auth headers, timeouts, retries, errors.

Everything that touches the wire lives here; the hook only names endpoints.
"""

from __future__ import annotations

import json as jsonlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import IO, Any

import requests
from requests.adapters import HTTPAdapter

from airflow_provider_openai_adv import __version__
from airflow_provider_openai_adv.client.config import ClientConfig
from airflow_provider_openai_adv.client.multipart import FilePart, open_multipart
from airflow_provider_openai_adv.client.pagination import iter_items
from airflow_provider_openai_adv.client.ratelimit import RateLimitInfo
from airflow_provider_openai_adv.client.retry import RetryPolicy
from airflow_provider_openai_adv.client.sse import iter_json_events
from airflow_provider_openai_adv.exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    StreamError,
    redact_secrets,
    status_error_class,
)

log = logging.getLogger("airflow_provider_openai_adv.client")

DOWNLOAD_CHUNK = 1 << 20


class APIResponse:
    """A successful answer, with OpenAI's request id and rate-limit headers at hand."""

    def __init__(self, response: requests.Response) -> None:
        self.raw = response

    @property
    def status_code(self) -> int:
        return self.raw.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self.raw.headers

    @property
    def request_id(self) -> str | None:
        return self.raw.headers.get("x-request-id")

    @cached_property
    def rate_limit(self) -> RateLimitInfo | None:
        return RateLimitInfo.from_headers(self.raw.headers)

    def json(self) -> Any:
        return self.raw.json()

    @property
    def text(self) -> str:
        return self.raw.text

    @property
    def content(self) -> bytes:
        return self.raw.content

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body as it arrives (``chunk_size=None``: whatever each read brings)."""
        return self.raw.iter_content(chunk_size=chunk_size)

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> APIResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class OpenAIClient:
    """A client for one OpenAI account (or OpenAI-compatible server).

    :param config: where and as whom to connect, and the retry budget.
    :param sleep: how to wait between retries (tests pass a recorder).
    """

    def __init__(self, config: ClientConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.retry_policy = RetryPolicy(max_retries=config.max_retries, max_wait=config.max_retry_wait, sleep=sleep)
        self.last_rate_limit: RateLimitInfo | None = None

    def __repr__(self) -> str:
        return f"OpenAIClient(base_url={self.config.base_url!r})"

    @cached_property
    def session(self) -> requests.Session:
        session = requests.Session()
        # Retries are ours (tenacity); urllib3 must not retry underneath them.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.config.pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update(default_headers(self.config, f"python-requests/{requests.__version__}"))
        return session

    def _default_headers(self) -> dict[str, str]:
        user_agent = f"airflow-provider-openai-adv/{__version__} python-requests/{requests.__version__}"
        if self.config.user_agent_suffix:
            user_agent += f" {self.config.user_agent_suffix}"
        headers = {
            "Authorization": f"Bearer {self.config.api_key}",
            "User-Agent": user_agent,
            "Accept": "application/json",
        }
        if self.config.organization:
            headers["OpenAI-Organization"] = self.config.organization
        if self.config.project:
            headers["OpenAI-Project"] = self.config.project
        return headers

    def close(self) -> None:
        for name in ("anonymous_session", "session"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()

    def url(self, path: str) -> str:
        return f"{self.config.base_url}/{path.lstrip('/')}"

    # -- sending -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        files: Sequence[FilePart] = (),
        stream: bool = False,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        safe_to_repeat: bool = True,
    ) -> APIResponse:
        """Send one API request, retrying as the policy allows; raise on an error answer.

        :param form: multipart form fields; with ``files``, sent as ``multipart/form-data``
            with the files streamed from disk.
        :param stream: leave the body unread, for server-sent events or downloads.
        :param safe_to_repeat: ``False`` for requests that create something costly (a
            fine-tune job): retried only when they surely never reached the server.
        """
        method = method.upper()
        url = self.url(path)

        def attempt() -> APIResponse:
            return self._send_once(
                method, url, json=json, params=params, form=form, files=files,
                stream=stream, timeout=timeout, headers=headers,
            )  # fmt: skip

        return self.retry_policy.call(attempt, description=f"{method} {url}", safe_to_repeat=safe_to_repeat)

    def _send_once(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        files: Sequence[FilePart] = (),
        stream: bool = False,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
    ) -> APIResponse:
        session = session or self.session
        timeouts = (self.config.connect_timeout, timeout or self.config.timeout)
        started = time.monotonic()
        try:
            if files or form is not None:
                with open_multipart(form or {}, files) as body:
                    response = session.request(
                        method, url, params=params, data=body, stream=stream, timeout=timeouts,
                        headers={**(headers or {}), "Content-Type": body.content_type},
                    )  # fmt: skip
            else:
                response = session.request(
                    method, url, params=params, json=json, stream=stream, timeout=timeouts, headers=headers
                )
        except requests.exceptions.RequestException as error:
            raise self._connection_error(method, url, error) from None
        log.debug(
            "%s %s -> %s in %.3f s [request_id=%s]",
            method, url, response.status_code, time.monotonic() - started, response.headers.get("x-request-id"),
        )  # fmt: skip
        if response.status_code >= 400:
            raise self._status_error(response)
        api_response = APIResponse(response)
        if api_response.rate_limit is not None:
            self.last_rate_limit = api_response.rate_limit
        return api_response

    def _connection_error(
        self, method: str, url: str, error: requests.exceptions.RequestException
    ) -> APIConnectionError:
        never_sent = isinstance(error, requests.exceptions.ConnectTimeout) or _is_connect_failure(error)
        text = redact_secrets(str(error), self.config.api_key)
        if isinstance(error, requests.exceptions.Timeout):
            kind = "connect" if isinstance(error, requests.exceptions.ConnectTimeout) else "read"
            return APITimeoutError(f"{method} {url}: {kind} timeout: {text}", may_have_reached_server=not never_sent)
        return APIConnectionError(f"{method} {url}: connection failed: {text}", may_have_reached_server=not never_sent)

    def _status_error(self, response: requests.Response) -> Exception:
        try:
            text = response.text
        except requests.exceptions.RequestException:
            text = ""
        finally:
            response.close()
        return status_error(response.status_code, response.reason or "", response.headers, text, self.config.api_key)

    # -- conveniences the hook is written in ---------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=json, **kwargs).json()

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path).json()

    def upload(self, path: str, form: Mapping[str, Any], files: Sequence[FilePart], **kwargs: Any) -> APIResponse:
        """POST a multipart form, streaming the files."""
        return self.request("POST", path, form=form, files=files, **kwargs)

    def stream_events(self, path: str, json: Any, *, expect_done: bool = True) -> Iterator[dict[str, Any]]:
        """POST and yield the JSON payload of each server-sent event until ``[DONE]``.

        Only sending the request is retried: once events flow, a broken connection
        raises ``StreamError``, as an answer cut short cannot be resumed.
        """
        with self.request("POST", path, json=json, stream=True) as response:
            chunks = response.iter_bytes()
            try:
                yield from iter_json_events(chunks, expect_done=expect_done)
                for _ in chunks:  # read to the end, so the connection goes back to the pool
                    pass
            except requests.exceptions.RequestException as error:
                text = redact_secrets(str(error), self.config.api_key)
                raise StreamError(f"POST {self.url(path)}: the stream was cut off: {text}") from None

    def paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield the items of a cursor-paginated list, across pages, up to ``limit``."""
        return iter_items(lambda page_params: self.get(path, page_params), params, limit=limit, page_size=page_size)

    def download(self, path: str, destination: str | os.PathLike[str] | IO[bytes]) -> int:
        """Stream a GET body to ``destination``; return the number of bytes written.

        A local path is written through a temporary file beside it and renamed into place
        only when complete, so a failed download leaves nothing half-written; a broken
        transfer is retried from the start. A file object receives the bytes as they come
        (only sending the request is retried then).
        """
        return self._download(self.url(path), destination, self.session)

    def download_url(self, url: str, destination: str | os.PathLike[str] | IO[bytes]) -> int:
        """Like :meth:`download`, for a pre-signed URL (a generated image, say).

        Such URLs point at storage outside the API, so the API key is never sent to them.
        """
        return self._download(url, destination, self.anonymous_session)

    @cached_property
    def anonymous_session(self) -> requests.Session:
        """A session without the Authorization and OpenAI headers."""
        session = requests.Session()
        session.mount("https://", HTTPAdapter(max_retries=0))
        session.mount("http://", HTTPAdapter(max_retries=0))
        session.headers["User-Agent"] = self.session.headers["User-Agent"]
        return session

    def _download(self, url: str, destination: str | os.PathLike[str] | IO[bytes], session: requests.Session) -> int:
        def send() -> APIResponse:
            return self._send_once("GET", url, stream=True, session=session)

        description = f"GET {url} (download)"
        if not isinstance(destination, (str, os.PathLike)):
            with self.retry_policy.call(send, description=description) as response:
                return self._copy_body(url, response, destination)
        target = Path(destination)
        target.parent.mkdir(parents=True, exist_ok=True)

        def attempt() -> int:
            partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
            try:
                with send() as response, partial.open("wb") as handle:
                    written = self._copy_body(url, response, handle)
                os.replace(partial, target)
                return written
            finally:
                partial.unlink(missing_ok=True)

        return self.retry_policy.call(attempt, description=description)

    def _copy_body(self, url: str, response: APIResponse, handle: IO[bytes]) -> int:
        written = 0
        try:
            for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                handle.write(chunk)
                written += len(chunk)
        except requests.exceptions.RequestException as error:
            raise self._connection_error("GET", url, error) from None
        return written


def _is_connect_failure(error: BaseException) -> bool:
    """True when the connection was never made (refused, unreachable, unknown host)."""
    from urllib3.exceptions import NewConnectionError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NewConnectionError):
            return True
        reason = getattr(current, "reason", None)
        args_error = next((arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)), None)
        current = reason if isinstance(reason, BaseException) else args_error or current.__cause__
    return False


def default_headers(config: ClientConfig, transport: str) -> dict[str, str]:
    """Auth, organization, project and a User-Agent naming this package and ``transport``."""
    user_agent = f"airflow-provider-openai-adv/{__version__} {transport}"
    if config.user_agent_suffix:
        user_agent += f" {config.user_agent_suffix}"
    headers = {"Authorization": f"Bearer {config.api_key}", "User-Agent": user_agent, "Accept": "application/json"}
    if config.organization:
        headers["OpenAI-Organization"] = config.organization
    if config.project:
        headers["OpenAI-Project"] = config.project
    return headers


def status_error(status_code: int, reason: str, headers: Mapping[str, str], text: str, api_key: str) -> APIStatusError:
    """The exception for an error answer: OpenAI's error object, or the body as text."""
    text = redact_secrets(text, api_key)
    try:
        body: Any = jsonlib.loads(text)
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        error_type, code, param = error.get("type"), error.get("code"), error.get("param")
    else:
        message = str(error) if isinstance(error, str) else (text.strip()[:2000] or reason)
        error_type = code = param = None
    code = None if code is None else str(code)
    return status_error_class(status_code, code, error_type)(
        status_code=status_code,
        message=message,
        error_type=error_type,
        code=code,
        param=param,
        request_id=headers.get("x-request-id"),
        body=body if body is not None else text,
        headers={name.lower(): value for name, value in headers.items()},
    )

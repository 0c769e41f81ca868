"""The sync client: one pooled ``requests.Session``, timeouts, retries, errors, files.

Everything that touches the wire in a worker lives here; OpenAI's conventions shared
with the async client (headers, error answers, JSON bodies, paths, trusted roots) are
in :mod:`.protocol`, :mod:`.paths` and :mod:`.tls`. The hook only names endpoints.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import IO, Any

import requests
from requests.adapters import HTTPAdapter

from airflow_provider_openai_adv.client.config import ClientConfig
from airflow_provider_openai_adv.client.multipart import FilePart, open_multipart
from airflow_provider_openai_adv.client.pagination import iter_items, iter_pages
from airflow_provider_openai_adv.client.paths import endpoint
from airflow_provider_openai_adv.client.protocol import (
    MAX_ERROR_BODY,
    MAX_JSON_BODY,
    decode_object,
    default_headers,
    status_error,
)
from airflow_provider_openai_adv.client.ratelimit import RateLimitInfo
from airflow_provider_openai_adv.client.retry import RetryPolicy
from airflow_provider_openai_adv.client.sse import iter_json_events
from airflow_provider_openai_adv.client.staging import partial_path
from airflow_provider_openai_adv.client.tls import trust_store
from airflow_provider_openai_adv.exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InvalidResponseError,
    NotFoundError,
    OpenAIAdvError,
    OpenAIValidationError,
    StreamError,
    TLSVerificationError,
    redact_secrets,
)

log = logging.getLogger("airflow_provider_openai_adv.client")

DOWNLOAD_CHUNK = 1 << 20
READ_CHUNK = 64 << 10  # an answer read into memory: small reads, as most answers are a few KB
# requests' errors that mean the request could not even be built: a setting is wrong.
_UNSENDABLE = (
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidJSONError,
)


class APIResponse:
    """A successful answer, with OpenAI's request id and rate-limit headers at hand.

    The body is read on demand and never beyond what its use allows (a JSON answer,
    :data:`~.protocol.MAX_JSON_BODY`), so a server cannot make us hold unbounded bytes.
    """

    def __init__(self, response: requests.Response, description: str, api_key: str) -> None:
        self.raw = response
        self.description = description
        self._api_key = api_key
        self._content: bytes | None = None

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

    @property
    def content(self) -> bytes:
        if self._content is None:
            self._content = read_body(self.raw, MAX_JSON_BODY, self.description, self._api_key)
        return self._content

    def json(self) -> dict[str, Any]:
        """The answer's JSON object (:class:`InvalidResponseError` for anything else)."""
        return decode_object(
            self.content, description=self.description, request_id=self.request_id, api_key=self._api_key
        )

    @property
    def text(self) -> str:
        return self.content.decode(self.raw.encoding or "utf-8", "replace")

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body as it arrives (``chunk_size=None``: whatever each read brings)."""
        return self.raw.iter_content(chunk_size=chunk_size)

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> APIResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_body(response: requests.Response, limit: int, description: str, api_key: str) -> bytes:
    """At most ``limit`` bytes of a streamed body; :class:`InvalidResponseError` beyond."""
    body = bytearray()
    try:
        for chunk in response.iter_content(READ_CHUNK):
            body += chunk
            if len(body) > limit:
                response.close()
                raise InvalidResponseError(f"{description}: the answer is larger than {limit >> 20} MiB; refused")
    except requests.exceptions.RequestException as error:
        raise connection_error(description, error, api_key) from None
    return bytes(body)


class OpenAIClient:
    """A client for one OpenAI account (or OpenAI-compatible server).

    Paths are templates of the API's own paths, ids passed apart (``get("files/{file_id}",
    file_id=...)``): see :mod:`.paths`. A parameter set to ``None`` in a JSON body or a
    form is not sent, so the API's default applies.

    :param config: where and as whom to connect, whom to trust, and the retry budget.
    :param sleep: how to wait between retries (tests pass a recorder).
    """

    def __init__(self, config: ClientConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.trust = trust_store(config.ca_bundle)
        # Given per request, so the environment cannot override it; requests' own preloaded
        # context when the roots are the certifi ones it would use anyway.
        self.verify: str | bool = True if self.trust.source == "certifi" else self.trust.path
        self.retry_policy = RetryPolicy(max_retries=config.max_retries, max_wait=config.max_retry_wait, sleep=sleep)
        self.last_rate_limit: RateLimitInfo | None = None

    def __repr__(self) -> str:
        return f"OpenAIClient(base_url={self.config.base_url!r})"

    @cached_property
    def session(self) -> requests.Session:
        session = _session(self.config.pool_size)
        session.headers.update(default_headers(self.config, f"python-requests/{requests.__version__}"))
        return session

    @cached_property
    def anonymous_session(self) -> requests.Session:
        """A session without the Authorization and OpenAI headers, for pre-signed URLs."""
        session = _session(4)
        session.headers["User-Agent"] = self.session.headers["User-Agent"]
        return session

    def close(self) -> None:
        for name in ("anonymous_session", "session"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()

    def url(self, template: str, ids: Mapping[str, Any] | None = None) -> str:
        return f"{self.config.base_url}/{endpoint(template, ids)}"

    # -- sending -------------------------------------------------------------------------

    def request(
        self,
        method: str,
        template: str,
        /,
        *,
        ids: Mapping[str, Any] | None = None,
        json: Any = None,
        query: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        files: Sequence[FilePart] = (),
        stream: bool = False,
        timeout: float | None = None,
        safe_to_repeat: bool = True,
        gone_means_done: bool = False,
        decode: Callable[[APIResponse], Any] | None = None,
    ) -> Any:
        """Send one API request, retrying as the policy allows; raise on an error answer.

        :param ids: the values of the template's ``{placeholders}``, each one path segment.
        :param form: multipart form fields; with ``files``, sent as ``multipart/form-data``
            with the files streamed from disk.
        :param stream: leave the body unread, for server-sent events or downloads.
        :param safe_to_repeat: ``False`` for requests that create something costly (a
            fine-tune job): retried only when they surely never reached the server.
        :param gone_means_done: (deletes) a 404 to a retry, after an attempt that may have
            been carried out, means that attempt did it: return ``None`` instead of raising.
        :param decode: read the answer inside each attempt (``APIResponse.json``), so an
            answer that cannot be read is retried like a failed request; the
            :class:`APIResponse` itself is returned otherwise.
        """
        method = method.upper()
        url = self.url(template, ids)
        description = f"{method} {url}"
        earlier: list[BaseException] = []

        def attempt() -> Any:
            try:
                response = self._send_once(
                    method, url, json=_without_none(json), query=_without_none(query), form=form,
                    files=files, stream=stream, timeout=timeout,
                )  # fmt: skip
                return response if decode is None else decode(response)
            except NotFoundError:
                if gone_means_done and any(_may_have_acted(error) for error in earlier):
                    return None
                raise
            except OpenAIAdvError as error:
                earlier.append(error)
                raise

        return self.retry_policy.call(attempt, description=description, safe_to_repeat=safe_to_repeat)

    def _send_once(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        query: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        files: Sequence[FilePart] = (),
        stream: bool = False,
        timeout: float | None = None,
        session: requests.Session | None = None,
    ) -> APIResponse:
        session = session or self.session
        options = {
            "params": query,
            "stream": True,  # bodies are read by APIResponse, never beyond what their use allows
            "timeout": (self.config.connect_timeout, timeout or self.config.timeout),
            "verify": self.verify,
        }
        description = f"{method} {url}"
        started = time.monotonic()
        try:
            if files or form is not None:
                with open_multipart(form or {}, files) as body:
                    response = session.request(
                        method, url, data=body, headers={"Content-Type": body.content_type}, **options
                    )
            else:
                response = session.request(method, url, json=json, **options)
        except requests.exceptions.RequestException as error:
            raise connection_error(description, error, self.config.api_key) from None
        log.debug(
            "%s -> %s in %.3f s [request_id=%s]",
            description, response.status_code, time.monotonic() - started, response.headers.get("x-request-id"),
        )  # fmt: skip
        if response.status_code >= 400:
            raise self._status_error(response, description)
        answer = APIResponse(response, description, self.config.api_key)
        if not stream:
            answer.content  # noqa: B018 - read now, so the connection returns to the pool
        if answer.rate_limit is not None:
            self.last_rate_limit = answer.rate_limit
        return answer

    def _status_error(self, response: requests.Response, description: str) -> APIStatusError:
        try:
            content = read_body(response, MAX_ERROR_BODY, description, self.config.api_key)
        except OpenAIAdvError:
            content = b""
        finally:
            response.close()
        return status_error(response.status_code, response.reason or "", response.headers, content, self.config.api_key)

    # -- conveniences the hook is written in ---------------------------------------------

    def get(self, template: str, /, query: Mapping[str, Any] | None = None, **ids: Any) -> dict[str, Any]:
        return self.request("GET", template, ids=ids, query=query, decode=APIResponse.json)

    def post(self, template: str, /, json: Any = None, *, safe_to_repeat: bool = True, **ids: Any) -> dict[str, Any]:
        return self.request(
            "POST", template, ids=ids, json=json, safe_to_repeat=safe_to_repeat, decode=APIResponse.json
        )

    def delete(self, template: str, /, **ids: Any) -> dict[str, Any]:
        """DELETE; a retry that finds the object gone, after an attempt that may have
        deleted it, counts as done (OpenAI's answer is then rebuilt: id and ``deleted``)."""
        answer = self.request("DELETE", template, ids=ids, gone_means_done=True, decode=APIResponse.json)
        if answer is not None:
            return answer
        log.warning("DELETE %s: an earlier attempt deleted it (the retry found it gone)", template)
        return {"id": list(ids.values())[-1], "deleted": True}

    def upload(
        self,
        template: str,
        /,
        form: Mapping[str, Any],
        files: Sequence[FilePart],
        *,
        safe_to_repeat: bool = True,
        **ids: Any,
    ) -> dict[str, Any]:
        """POST a multipart form, streaming the files; the answer's JSON object."""
        return self.request(
            "POST", template, ids=ids, form=form, files=files, safe_to_repeat=safe_to_repeat, decode=APIResponse.json
        )

    def stream_events(self, template: str, /, json: Any, *, expect_done: bool = True) -> Iterator[dict[str, Any]]:
        """POST and yield the JSON payload of each server-sent event until ``[DONE]``.

        Only sending the request is retried: once events flow, a broken connection
        raises ``StreamError``, as an answer cut short cannot be resumed.
        """
        with self.request("POST", template, json=json, stream=True) as response:
            chunks = response.iter_bytes()
            try:
                yield from iter_json_events(chunks, expect_done=expect_done, api_key=self.config.api_key)
                for _ in chunks:  # read to the end, so the connection goes back to the pool
                    pass
            except requests.exceptions.RequestException as error:
                text = redact_secrets(str(error), self.config.api_key)
                raise StreamError(f"{response.description}: the stream was cut off: {text}") from None

    def paginate(
        self,
        template: str,
        /,
        query: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        page_size: int | None = None,
        **ids: Any,
    ) -> Iterator[dict[str, Any]]:
        """Yield the items of a cursor-paginated list, across pages, up to ``limit``."""
        query = _without_none(query) or {}
        return iter_items(lambda params: self.get(template, params, **ids), query, limit=limit, page_size=page_size)

    def pages(self, template: str, /, query: Mapping[str, Any] | None = None, **ids: Any) -> Iterator[dict[str, Any]]:
        """Yield each page of a cursor-paginated list (checked), for callers that stop early."""
        return iter_pages(lambda params: self.get(template, params, **ids), _without_none(query))

    # -- files ---------------------------------------------------------------------------

    def download(
        self, template: str, /, destination: str | os.PathLike[str] | IO[bytes], *, json: Any = None, **ids: Any
    ) -> int:
        """Stream a GET body — or, with ``json``, the body of that POST — to ``destination``;
        return the number of bytes written.

        A local path is written through a temporary file beside it, renamed into place
        only when complete, so a failed download leaves nothing half-written (and the
        leftovers of a killed one are swept by the next download to that path); a broken
        transfer is retried from the start. A file object receives the bytes as they
        come (only sending the request is retried then).
        """
        return self._download(self.url(template, ids), destination, self.session, json=json)

    def download_url(self, url: str, destination: str | os.PathLike[str] | IO[bytes]) -> int:
        """Like :meth:`download`, for a pre-signed URL (a generated image, say).

        Such URLs point at storage outside the API, so the API key is never sent to them.
        """
        return self._download(url, destination, self.anonymous_session)

    def _download(
        self,
        url: str,
        destination: str | os.PathLike[str] | IO[bytes],
        session: requests.Session,
        *,
        json: Any = None,
    ) -> int:
        method = "GET" if json is None else "POST"

        def send() -> APIResponse:
            return self._send_once(method, url, json=_without_none(json), stream=True, session=session)

        description = f"{method} {url} (download)"
        if not isinstance(destination, (str, os.PathLike)):
            with self.retry_policy.call(send, description=description) as response:
                return self._copy_body(response, destination)
        target = Path(destination)
        if target.is_dir():
            raise OpenAIValidationError(f"output_path: {target} is a folder; a file path is expected")
        target.parent.mkdir(parents=True, exist_ok=True)

        def attempt() -> int:
            partial = partial_path(target)
            try:
                with send() as response, partial.open("wb") as handle:
                    written = self._copy_body(response, handle)
                os.replace(partial, target)
                return written
            finally:
                partial.unlink(missing_ok=True)

        return self.retry_policy.call(attempt, description=description)

    def _copy_body(self, response: APIResponse, handle: IO[bytes]) -> int:
        written = 0
        try:
            for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                handle.write(chunk)
                written += len(chunk)
        except requests.exceptions.RequestException as error:
            raise connection_error(response.description, error, self.config.api_key) from None
        return written


def _session(pool_size: int) -> requests.Session:
    session = requests.Session()
    # Retries are ours (tenacity); urllib3 must not retry underneath them.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _without_none(body: Any) -> Any:
    """A JSON object or query without the parameters set to ``None``: the API's defaults apply."""
    if not isinstance(body, Mapping):
        return body
    return {name: value for name, value in body.items() if value is not None}


def _may_have_acted(error: BaseException) -> bool:
    """Whether a failed attempt may still have been carried out by the server."""
    if isinstance(error, APIConnectionError):
        return error.may_have_reached_server
    return isinstance(error, APIStatusError) and (error.status_code >= 500 or error.status_code in (408, 409))


def connection_error(description: str, error: requests.exceptions.RequestException, api_key: str) -> OpenAIAdvError:
    """Our exception for what ``requests`` raised before any HTTP answer arrived."""
    text = redact_secrets(str(error), api_key)
    if isinstance(error, _UNSENDABLE):
        return OpenAIValidationError(f"{description}: the request cannot be sent: {text}")
    if _is_certificate_failure(error):
        return TLSVerificationError(
            f"{description}: the server's certificate cannot be verified ({text}); trust its CA with the "
            "connection's ca_bundle extra, REQUESTS_CA_BUNDLE or SSL_CERT_FILE"
        )
    never_sent = isinstance(error, requests.exceptions.ConnectTimeout) or _is_connect_failure(error)
    if isinstance(error, requests.exceptions.Timeout):
        kind = "connect" if isinstance(error, requests.exceptions.ConnectTimeout) else "read"
        return APITimeoutError(f"{description}: {kind} timeout: {text}", may_have_reached_server=not never_sent)
    return APIConnectionError(f"{description}: connection failed: {text}", may_have_reached_server=not never_sent)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and what caused it, through ``reason``, exception arguments and ``__cause__``."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        args_error = next((arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)), None)
        current = reason if isinstance(reason, BaseException) else args_error or current.__cause__


def _is_connect_failure(error: BaseException) -> bool:
    """True when the connection was never made (refused, unreachable, unknown host)."""
    from urllib3.exceptions import NewConnectionError

    return any(isinstance(cause, NewConnectionError) for cause in _causes(error))


def _is_certificate_failure(error: BaseException) -> bool:
    import ssl

    return any(isinstance(cause, ssl.SSLCertVerificationError) for cause in _causes(error)) or (
        isinstance(error, requests.exceptions.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(error)
    )

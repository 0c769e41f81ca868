"""The exceptions this provider raises.

One hierarchy for every layer. No Airflow import here: the client raises these too.

Every message carries what is needed to act on a failure — the HTTP status, OpenAI's
``error.type``, ``error.code``, ``param``, ``error.message`` and the ``x-request-id`` —
and never the API key: whatever a server or a library says is passed through
:func:`redact_secrets` *after* it has been decoded, so an escaped key (``\\u002d`` for
``-``) is masked as surely as a plain one. OpenAI's own "Incorrect API key provided:
sk-…" text is masked too.

:func:`is_permanent` tells the errors that no retry can fix (a bad argument, a 400, an
exhausted quota) from those worth another try; operators fail at once on the former.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote

# OpenAI quotes (part of) a wrong key back in its 401 message; keys look like
# ``sk-...``, ``sk-proj-...``, ``sess-...``. Mask any such token, whatever its length.
_KEY_PATTERN = re.compile(r"\b(?:sk|sess|rk)-[A-Za-z0-9_\-*]{4,}")
REDACTED = "***"


@lru_cache(maxsize=16)
def _spellings(secret: str) -> tuple[str, ...]:
    """The ways a secret may appear in text — as is, repr- or JSON-escaped, URL-encoded —
    longest first, so a longer spelling is masked before a shorter one inside it."""
    spellings = {secret, secret.strip(), repr(secret)[1:-1], json.dumps(secret)[1:-1], quote(secret, safe="")}
    return tuple(sorted(spellings - {""}, key=len, reverse=True))


@lru_cache(maxsize=16)
def _escaped_spelling(secret: str) -> re.Pattern[str]:
    """The secret with any of its characters written as a JSON ``\\uXXXX`` escape, as it
    stands in JSON text that could not be decoded (a truncated event, a cut-off body)."""
    pattern = []
    for char in secret:
        digits = f"{ord(char):04x}"
        escaped = "\\\\u" + "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)
        pattern.append(f"(?:{re.escape(char)}|{escaped})" if len(digits) == 4 else re.escape(char))
    return re.compile("".join(pattern))


def redact_secrets(text: str, *secrets: str | None) -> str:
    """Return ``text`` with every given secret (in any common escaping) and every
    API-key-shaped token masked."""
    for secret in secrets:
        if secret:
            for spelling in _spellings(secret):
                text = text.replace(spelling, REDACTED)
            if "\\u" in text:
                text = _escaped_spelling(secret).sub(REDACTED, text)
    return _KEY_PATTERN.sub(REDACTED, text)


def redacted_excerpt(content: bytes | str, limit: int, *secrets: str | None) -> str:
    """At most ``limit`` characters of ``content`` as text, redacted.

    Redaction runs on more than is kept, so a secret that starts inside the kept part
    is masked whole and the cut can never leave a fragment of it behind.
    """
    margin = 4 * max((len(secret) for secret in secrets if secret), default=0) + 16
    head = content[: 4 * limit + margin]
    text = redact_secrets(head if isinstance(head, str) else head.decode("utf-8", "replace"), *secrets)
    return text if len(text) <= limit else text[:limit] + "…"


def redact_value(value: Any, *secrets: str | None) -> Any:
    """:func:`redact_secrets` applied to every string in a decoded JSON value."""
    if isinstance(value, str):
        return redact_secrets(value, *secrets)
    if isinstance(value, dict):
        return {redact_secrets(str(key), *secrets): redact_value(item, *secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item, *secrets) for item in value]
    return value


class OpenAIAdvError(Exception):
    """Base class of every error raised by this provider."""


class OpenAIValidationError(OpenAIAdvError, ValueError):
    """An argument is invalid; raised before any request is sent."""


class InvalidResponseError(OpenAIAdvError):
    """A successful answer that is not what the API sends: not JSON, nested beyond
    reason, too large, or missing what the endpoint always returns."""


class APIConnectionError(OpenAIAdvError):
    """The request did not get an HTTP answer (refused, reset, DNS failure...)."""

    def __init__(self, message: str, *, may_have_reached_server: bool = True) -> None:
        super().__init__(message)
        # False only when the request surely never left (refused, DNS, connect timeout):
        # then even a request that is not safe to repeat may be sent again.
        self.may_have_reached_server = may_have_reached_server


class APITimeoutError(APIConnectionError):
    """The server did not answer within the connect or read timeout."""


class TLSVerificationError(APIConnectionError):
    """The server's certificate could not be verified. Retrying cannot help: trust the
    right CA (the connection's ``ca_bundle`` extra, ``REQUESTS_CA_BUNDLE`` or
    ``SSL_CERT_FILE``) or fix the server."""

    def __init__(self, message: str) -> None:
        super().__init__(message, may_have_reached_server=False)


class APIStatusError(OpenAIAdvError):
    """OpenAI answered with an HTTP error status.

    The attributes mirror OpenAI's error body ``{"error": {message, type, param, code}}``;
    a body that is not JSON is kept, as text, in :attr:`message`.
    """

    status_code: int = 0

    def __init__(
        self,
        *,
        status_code: int,
        message: str,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param
        self.request_id = request_id
        self.body = body
        self.headers = headers or {}  # response headers, lower-cased and redacted
        super().__init__(self._describe())

    def _describe(self) -> str:
        details = ", ".join(
            f"{name}={value}"
            for name, value in (("type", self.error_type), ("code", self.code), ("param", self.param))
            if value
        )
        text = f"OpenAI API error {self.status_code}"
        if details:
            text += f" ({details})"
        text += f": {self.message or '<empty response body>'}"
        if self.request_id:
            text += f" [request_id={self.request_id}]"
        return text

    def __reduce__(self):  # keyword-only __init__: make the error picklable for Airflow
        return _rebuild_status_error, (type(self), self.__dict__.copy())


def _rebuild_status_error(cls: type[APIStatusError], state: dict[str, Any]) -> APIStatusError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._describe())
    return error


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class ConflictError(APIStatusError):
    status_code = 409


class UnprocessableEntityError(APIStatusError):
    status_code = 422


class RateLimitError(APIStatusError):
    """429 ``rate_limit_exceeded``: worth retrying after the server's ``Retry-After``."""

    status_code = 429


class InsufficientQuotaError(RateLimitError):
    """429 ``insufficient_quota``: the account is out of credit; retrying cannot help."""


class InternalServerError(APIStatusError):
    """Any 5xx answer."""


class StreamError(OpenAIAdvError):
    """A server-sent-events stream carried an error event, broke, or ended before ``[DONE]``."""

    def __init__(self, message: str, *, error: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error = error or {}


class IncompleteResponseError(OpenAIAdvError):
    """A response the model stopped early (``max_output_tokens``, a content filter): the
    same request would stop the same way, so no retry can fix it."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    cls.status_code: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        UnprocessableEntityError,
        RateLimitError,
    )
}

# Answers that say the request itself is wrong: sending it again gets the same answer.
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 422})


def status_error_class(status_code: int, code: str | None, error_type: str | None) -> type[APIStatusError]:
    """Pick the most specific exception class for an HTTP error answer."""
    if status_code == 429 and "insufficient_quota" in (code, error_type):
        return InsufficientQuotaError
    if status_code >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status_code, APIStatusError)


def is_permanent(error: BaseException) -> bool:
    """True for an error that no retry, by the client or by Airflow, can fix."""
    final = (OpenAIValidationError, TLSVerificationError, InsufficientQuotaError, IncompleteResponseError)
    if isinstance(error, final):
        return True
    return isinstance(error, APIStatusError) and error.status_code in PERMANENT_STATUSES

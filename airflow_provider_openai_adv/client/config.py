"""Settings of one client: where to send requests, as whom, whom to trust, and how patiently."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_openai_adv.exceptions import OpenAIValidationError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = 600.0  # seconds to wait for an answer; the openai SDK's default too
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 2  # as the openai SDK
DEFAULT_MAX_RETRY_WAIT = 60.0  # cap on one wait the server asks for (Retry-After)


def normalize_base_url(url: str | None, *, port: int | None = None) -> str:
    """Turn what a user types as the connection host into a base URL.

    ``api.openai.com`` → ``https://api.openai.com/v1``; a URL without a path gets ``/v1``
    (OpenAI's API lives there); a URL with a path is kept as given, so Azure-style and
    other OpenAI-compatible servers work; the trailing slash is dropped.
    """
    url = (url or "").strip()
    if not url:
        return DEFAULT_BASE_URL
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if not parts.hostname:
        raise OpenAIValidationError(f"base URL {url!r} has no host name")
    netloc = parts.netloc
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def clean_api_key(key: str | None, *, field_name: str = "api_key") -> str:
    """The key without the spaces and newline a copy-paste leaves around it.

    A key is sent in a header, so anything but visible ASCII inside it would either be
    refused by the HTTP library (and echoed, escaped, in its error) or corrupt the
    header: such a key is refused here, naming ``field_name`` and never quoting the key.
    """
    key = (key or "").strip()
    if not key:
        raise OpenAIValidationError(f"{field_name} is empty: it must hold your OpenAI API key")
    bad = next((char for char in key if not "\x21" <= char <= "\x7e"), None)
    if bad is not None:
        kind = "a space" if bad.isspace() else "a character that is not visible ASCII"
        raise OpenAIValidationError(
            f"{field_name} contains {kind} (at position {key.index(bad) + 1}); an API key is one word of "
            "letters, digits, '-' and '_'"
        )
    return key


@dataclass(frozen=True)
class ClientConfig:
    """Everything the clients (:mod:`.http`, :mod:`.aio`) need.

    ``repr`` never shows the API key.

    :param ca_bundle: a PEM file of the certificate authorities to trust; ``None`` uses
        ``REQUESTS_CA_BUNDLE`` or ``SSL_CERT_FILE`` when set, else the bundled ``certifi``
        roots (see :mod:`.tls`).
    """

    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    organization: str | None = None
    project: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT
    ca_bundle: str | None = None
    user_agent_suffix: str = ""
    pool_size: int = 32

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_key", clean_api_key(self.api_key))
        for name in ("timeout", "connect_timeout"):
            if not getattr(self, name) > 0:
                raise OpenAIValidationError(f"{name} must be a positive number of seconds, got {getattr(self, name)!r}")
        if self.max_retries < 0:
            raise OpenAIValidationError(f"max_retries must be 0 or more, got {self.max_retries!r}")
        if self.max_retry_wait < 0:
            raise OpenAIValidationError(f"max_retry_wait must be 0 or more, got {self.max_retry_wait!r}")
        object.__setattr__(self, "base_url", normalize_base_url(self.base_url))

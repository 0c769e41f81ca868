"""Which certificate authorities the clients trust — the same answer for both.

``requests`` reads ``REQUESTS_CA_BUNDLE`` (and ``CURL_CA_BUNDLE``), ``httpx`` and
OpenSSL read ``SSL_CERT_FILE``; left to themselves, the worker's sync client and the
triggerer's async client could trust different roots. Here one rule decides for both:

1. the connection's ``ca_bundle`` extra (a PEM file or a folder of certificates);
2. else ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE`` or ``CURL_CA_BUNDLE``, the first set;
3. else the ``certifi`` roots both libraries ship with.

A bundle that does not exist is refused up front, naming where it was configured.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from functools import lru_cache

from airflow_provider_openai_adv.exceptions import OpenAIValidationError

ENVIRONMENT_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")


@dataclass(frozen=True)
class TrustStore:
    """Where the trusted roots are, and who said so (for messages)."""

    path: str
    source: str

    @property
    def is_folder(self) -> bool:
        return os.path.isdir(self.path)


def trust_store(ca_bundle: str | None) -> TrustStore:
    """The roots to trust, by the rule above."""
    if ca_bundle:
        return _existing(ca_bundle, "the ca_bundle extra")
    for name in ENVIRONMENT_VARIABLES:
        if os.environ.get(name):
            return _existing(os.environ[name], f"the {name} environment variable")
    import certifi

    return TrustStore(certifi.where(), "certifi")


def _existing(path: str, source: str) -> TrustStore:
    path = os.path.expanduser(path)
    if not os.path.exists(path):
        raise OpenAIValidationError(f"ca_bundle: {path}, given by {source}, does not exist")
    return TrustStore(path, source)


def ssl_context(store: TrustStore) -> ssl.SSLContext:
    """A TLS context for ``httpx``, built once per bundle (and again if the file changes):
    building one costs ~50 ms, which a thousand triggers starting together would
    otherwise each pay on the event loop."""
    return _context(store.path, store.is_folder, os.stat(store.path).st_mtime_ns)


@lru_cache(maxsize=16)
def _context(path: str, is_folder: bool, _mtime: int) -> ssl.SSLContext:
    if is_folder:
        return ssl.create_default_context(capath=path)
    return ssl.create_default_context(cafile=path)

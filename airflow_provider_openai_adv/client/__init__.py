"""The transport layer: plain Python, no Airflow import.

It owns every HTTP detail — pooled session, auth headers, timeouts, trusted roots, the
retry policy, OpenAI's error bodies, server-sent events, cursor pagination, streaming
uploads and downloads, rate-limit headers — so the hook above it only names endpoints.

Two transports share one set of rules: :mod:`.http` (``requests`` + ``tenacity``, for
workers) and :mod:`.aio` (``httpx``, for triggers). Names are loaded on first use, so
``import airflow_provider_openai_adv.client.aio`` never loads ``requests``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_openai_adv.client.config import DEFAULT_BASE_URL, ClientConfig, normalize_base_url
    from airflow_provider_openai_adv.client.http import APIResponse, OpenAIClient
    from airflow_provider_openai_adv.client.multipart import FilePart
    from airflow_provider_openai_adv.client.ratelimit import RateLimitInfo
    from airflow_provider_openai_adv.client.retry import RetryPolicy

_HOMES = {
    "DEFAULT_BASE_URL": "config",
    "ClientConfig": "config",
    "normalize_base_url": "config",
    "APIResponse": "http",
    "OpenAIClient": "http",
    "FilePart": "multipart",
    "RateLimitInfo": "ratelimit",
    "RetryPolicy": "retry",
}
__all__ = [
    "DEFAULT_BASE_URL",
    "APIResponse",
    "ClientConfig",
    "FilePart",
    "OpenAIClient",
    "RateLimitInfo",
    "RetryPolicy",
    "normalize_base_url",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)

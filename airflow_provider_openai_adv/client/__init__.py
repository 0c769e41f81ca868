"""The transport layer: plain Python over ``requests`` + ``tenacity``, no Airflow import.

It owns every HTTP detail — pooled session, auth headers, timeouts, the retry policy,
OpenAI's error bodies, server-sent events, cursor pagination, streaming uploads and
downloads, rate-limit headers — so the hook above it only names endpoints.
"""

from airflow_provider_openai_adv.client.config import DEFAULT_BASE_URL, ClientConfig, normalize_base_url
from airflow_provider_openai_adv.client.http import APIResponse, OpenAIClient
from airflow_provider_openai_adv.client.multipart import FilePart
from airflow_provider_openai_adv.client.ratelimit import RateLimitInfo
from airflow_provider_openai_adv.client.retry import RetryPolicy

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

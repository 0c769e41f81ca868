"""Read an ``openai_adv`` Airflow Connection into a client configuration.

Extras are read as plain keys (``timeout``) and, for connections saved by older
Airflow forms, with the ``extra__openai_adv__`` prefix. A bad value is reported with
the connection id and the field's name; the API key never appears in the message.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.client.config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    ClientConfig,
    clean_api_key,
    normalize_base_url,
)
from airflow_provider_openai_adv.client.tls import trust_store
from airflow_provider_openai_adv.exceptions import OpenAIValidationError

PREFIX = "extra__openai_adv__"


def _extra(extras: dict[str, Any], name: str) -> Any:
    value = extras.get(name)
    if value in (None, ""):
        value = extras.get(PREFIX + name)
    return None if value == "" else value


def _number(
    conn_id: str, extras: dict[str, Any], name: str, default: float, *, integer: bool = False, override: Any = None
) -> Any:
    value = override if override is not None else _extra(extras, name)
    if value is None:
        return default
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        kind = "a whole number" if integer else "a number of seconds"
        raise OpenAIValidationError(f"connection {conn_id!r}: extra {name!r} must be {kind}, got {value!r}") from None
    if number < 0 or (number == 0 and not integer):
        raise OpenAIValidationError(f"connection {conn_id!r}: extra {name!r} must be positive, got {value!r}")
    return number


def client_config(conn: Any, *, timeout: float | None = None, max_retries: int | None = None) -> ClientConfig:
    """Build the client configuration from an Airflow ``Connection``."""
    conn_id = conn.conn_id
    if not conn.password:
        raise OpenAIValidationError(
            f"connection {conn_id!r} has no API key: put your OpenAI API key in the connection's password"
        )
    extras = conn.extra_dejson or {}
    try:
        api_key = clean_api_key(conn.password, field_name="password (the API key)")
        ca_bundle = _extra(extras, "ca_bundle")
        trust_store(ca_bundle)  # a missing bundle fails here, naming where it was set
    except OpenAIValidationError as error:
        raise OpenAIValidationError(f"connection {conn_id!r}: {error}") from None
    try:
        base_url = normalize_base_url(conn.host, port=conn.port)
    except OpenAIValidationError as error:
        raise OpenAIValidationError(f"connection {conn_id!r}: host: {error}") from None
    return ClientConfig(
        api_key=api_key,
        base_url=base_url,
        organization=_extra(extras, "organization"),
        project=_extra(extras, "project"),
        timeout=_number(conn_id, extras, "timeout", DEFAULT_TIMEOUT, override=timeout),
        connect_timeout=_number(conn_id, extras, "connect_timeout", DEFAULT_CONNECT_TIMEOUT),
        max_retries=_number(conn_id, extras, "max_retries", DEFAULT_MAX_RETRIES, integer=True, override=max_retries),
        max_retry_wait=_number(conn_id, extras, "max_retry_wait", DEFAULT_MAX_RETRY_WAIT),
        ca_bundle=ca_bundle,
        user_agent_suffix=_airflow_user_agent(),
    )


def _airflow_user_agent() -> str:
    try:
        from airflow import __version__ as airflow_version
    except ImportError:  # pragma: no cover - the hook always runs inside Airflow
        return ""
    return f"apache-airflow/{airflow_version}"


def legacy_endpoints(conn: Any) -> bool:
    """The ``legacy_endpoints`` extra: send removed actions to their 2023 paths."""
    value = _extra(conn.extra_dejson or {}, "legacy_endpoints")
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)

"""Client settings: base URL forms, validation, and a repr that hides the key."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.client import ClientConfig, normalize_base_url
from airflow_provider_openai_adv.exceptions import OpenAIValidationError


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "https://api.openai.com/v1"),
        ("", "https://api.openai.com/v1"),
        ("https://api.openai.com/v1", "https://api.openai.com/v1"),
        ("https://api.openai.com/v1/", "https://api.openai.com/v1"),
        ("https://api.openai.com", "https://api.openai.com/v1"),
        ("https://api.openai.com/", "https://api.openai.com/v1"),
        ("api.openai.com", "https://api.openai.com/v1"),
        ("http://localhost:8089", "http://localhost:8089/v1"),
        ("https://myres.openai.azure.com/openai/v1/", "https://myres.openai.azure.com/openai/v1"),
        ("http://10.0.0.5:8000/compat/api", "http://10.0.0.5:8000/compat/api"),
    ],
)
def test_base_url_is_normalized(given, expected):
    assert normalize_base_url(given) == expected


def test_a_connection_port_is_added_when_the_host_has_none():
    assert normalize_base_url("localhost", port=8089) == "https://localhost:8089/v1"
    assert normalize_base_url("http://localhost:9000", port=8089) == "http://localhost:9000/v1"


def test_a_url_without_a_host_is_refused():
    with pytest.raises(OpenAIValidationError, match="no host"):
        normalize_base_url("https:///v1")


@pytest.mark.parametrize(
    ("overrides", "argument"),
    [
        ({"api_key": ""}, "api_key"),
        ({"api_key": "   "}, "api_key"),
        ({"timeout": 0}, "timeout"),
        ({"connect_timeout": -1}, "connect_timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retry_wait": -5}, "max_retry_wait"),
    ],
)
def test_bad_settings_are_refused_naming_the_argument(overrides, argument):
    settings = {"api_key": "sk-test-key", **overrides}
    with pytest.raises(OpenAIValidationError, match=argument):
        ClientConfig(**settings)


@pytest.mark.parametrize("key", ["sk-abc\n", "  sk-abc  ", "\tsk-abc\r\n"])
def test_the_whitespace_a_copy_paste_leaves_around_the_key_is_stripped(key):
    assert ClientConfig(api_key=key).api_key == "sk-abc"


@pytest.mark.parametrize(
    ("key", "problem"), [("sk-a b", "a space"), ("sk-é", "a character"), ("sk-\x00x", "a character")]
)
def test_a_key_that_cannot_be_a_header_is_refused_without_quoting_it(key, problem):
    with pytest.raises(OpenAIValidationError, match=f"^api_key contains {problem}") as caught:
        ClientConfig(api_key=key)
    assert key not in str(caught.value)


def test_repr_never_shows_the_api_key():
    config = ClientConfig(api_key="sk-very-secret-value", organization="org-1")
    assert "sk-very-secret-value" not in repr(config)
    assert "org-1" in repr(config)

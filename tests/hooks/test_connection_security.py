"""The connection's secrets and trust: a pasted key is cleaned or refused by name, a CA bundle checked."""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook


@pytest.mark.parametrize("key", ["sk-emulator-key\n", "  sk-emulator-key "])
def test_a_key_pasted_with_whitespace_works(openai_emulator, monkeypatch, key):
    connection = json.loads(openai_emulator.airflow_connection())
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", json.dumps({**connection, "password": key}))
    assert OpenAIAdvHook().get_models()
    assert openai_emulator.requests[-1].status == 200


def test_a_key_that_cannot_be_sent_is_refused_naming_the_password_field(openai_emulator, monkeypatch):
    key = "sk-emulator key-0123456789"
    connection = json.loads(openai_emulator.airflow_connection())
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", json.dumps({**connection, "password": key}))
    with pytest.raises(
        OpenAIValidationError, match=r"^connection 'openai_adv_default': password \(the API key\) contains a space"
    ) as caught:
        OpenAIAdvHook().get_models()
    assert key not in str(caught.value) and "0123456789" not in str(caught.value)
    assert openai_emulator.requests == []


def test_the_connection_ca_bundle_extra_is_checked_and_named(openai_emulator, monkeypatch, tmp_path):
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENAI_ADV_DEFAULT", openai_emulator.airflow_connection(ca_bundle=str(tmp_path / "none.pem"))
    )
    with pytest.raises(OpenAIValidationError, match="^connection 'openai_adv_default': ca_bundle: .*none.pem"):
        OpenAIAdvHook().get_models()

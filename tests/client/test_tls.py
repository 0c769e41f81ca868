"""Whom the clients trust: the same roots for the sync and the async client, from the
connection's ``ca_bundle`` extra or the environment, and a certificate failure is final."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_openai_adv.client import ClientConfig, OpenAIClient
from airflow_provider_openai_adv.client.aio import AsyncOpenAIClient
from airflow_provider_openai_adv.client.tls import ENVIRONMENT_VARIABLES, trust_store
from airflow_provider_openai_adv.exceptions import OpenAIValidationError, TLSVerificationError


@pytest.fixture(scope="module")
def https_emulator(tmp_path_factory):
    from airflow_provider_openai_adv.testing import OpenAIEmulator
    from airflow_provider_openai_adv.testing.tls import write_test_certificates

    tls = write_test_certificates(tmp_path_factory.mktemp("tls"))
    with OpenAIEmulator(tls=tls) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def no_trust_from_the_environment(monkeypatch):
    for name in ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def sync_models(emulator, sleeps, **settings):
    config = ClientConfig(api_key=emulator.api_key, base_url=emulator.base_url, **settings)
    return OpenAIClient(config, sleep=sleeps).get("models")


def async_models(emulator, **settings):
    async def fetch():
        client = AsyncOpenAIClient(ClientConfig(api_key=emulator.api_key, base_url=emulator.base_url, **settings))
        try:
            return await client.get("models")
        finally:
            await client.aclose()

    return asyncio.run(fetch())


def test_an_untrusted_certificate_fails_at_once_and_is_not_retried(https_emulator, sleeps):
    with pytest.raises(TLSVerificationError, match="certificate cannot be verified.*ca_bundle"):
        sync_models(https_emulator, sleeps, max_retries=3)
    assert sleeps.waits == []
    with pytest.raises(TLSVerificationError, match="certificate cannot be verified"):
        async_models(https_emulator, max_retries=3)


def test_the_ca_bundle_setting_is_trusted_by_both_clients(https_emulator, sleeps):
    ca = str(https_emulator.tls.cafile)
    assert sync_models(https_emulator, sleeps, ca_bundle=ca)["data"]
    assert async_models(https_emulator, ca_bundle=ca)["data"]


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_either_environment_variable_is_honoured_by_both_clients(https_emulator, sleeps, monkeypatch, variable):
    monkeypatch.setenv(variable, str(https_emulator.tls.cafile))
    assert sync_models(https_emulator, sleeps)["data"]
    assert async_models(https_emulator)["data"]


def test_the_setting_wins_over_the_environment(https_emulator, sleeps, monkeypatch, tmp_path):
    unrelated = tmp_path / "other-ca.pem"
    unrelated.write_text(https_emulator.tls.certfile.read_text())  # a valid PEM, but not the CA
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(unrelated))
    assert sync_models(https_emulator, sleeps, ca_bundle=str(https_emulator.tls.cafile))["data"]


def test_a_changed_environment_is_seen_by_the_async_client_too(https_emulator, monkeypatch):
    """The TLS context is cached per bundle, not once per process."""
    with pytest.raises(TLSVerificationError):
        async_models(https_emulator, max_retries=0)
    monkeypatch.setenv("SSL_CERT_FILE", str(https_emulator.tls.cafile))
    assert async_models(https_emulator)["data"]


def test_a_bundle_that_does_not_exist_is_refused_naming_where_it_was_set(monkeypatch, tmp_path):
    with pytest.raises(OpenAIValidationError, match="^ca_bundle: .*missing.pem, given by the ca_bundle extra"):
        trust_store(str(tmp_path / "missing.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "gone.pem"))
    with pytest.raises(OpenAIValidationError, match="given by the SSL_CERT_FILE environment variable"):
        trust_store(None)


def test_without_any_setting_the_certifi_roots_are_used():
    import certifi

    assert trust_store(None).path == certifi.where()

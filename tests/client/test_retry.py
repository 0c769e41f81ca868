"""The retry policy, rule by rule, against the emulator over real HTTP.

The tests record the waits instead of sleeping (``sleeps``): what the client would
wait is asserted exactly, and no test depends on how fast the machine is.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from airflow_provider_openai_adv.client import ClientConfig, OpenAIClient
from airflow_provider_openai_adv.client.retry import server_retry_after
from airflow_provider_openai_adv.exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InsufficientQuotaError,
    InternalServerError,
    RateLimitError,
)

MODELS = "/v1/models"


def attempts(emulator, path=MODELS):
    return sum(1 for entry in emulator.requests if entry.path == path)


def test_a_429_with_retry_after_waits_that_long_then_succeeds(openai_emulator, make_client, sleeps):
    openai_emulator.add_fault(path=MODELS, status=429, retry_after=1, times=1)
    models = make_client().get("models")
    assert sleeps.waits == [1.0]
    assert models["data"]
    assert attempts(openai_emulator) == 2


def test_insufficient_quota_fails_at_once(openai_emulator, make_client, sleeps):
    openai_emulator.add_fault(
        path=MODELS, status=429, code="insufficient_quota", message="You exceeded your current quota."
    )
    with pytest.raises(InsufficientQuotaError, match="You exceeded your current quota") as caught:
        make_client().get("models")
    assert caught.value.code == "insufficient_quota"
    assert attempts(openai_emulator) == 1
    assert sleeps.waits == []


def test_a_wrong_key_fails_at_once_with_openais_message_and_no_key(openai_emulator_server, sleeps):
    from airflow_provider_openai_adv.testing import OpenAIEmulator

    with OpenAIEmulator(api_key="sk-the-right-key") as emulator:
        wrong_key = "sk-wrong-key-0123456789abcdef"
        client = OpenAIClient(ClientConfig(api_key=wrong_key, base_url=emulator.base_url), sleep=sleeps)
        with pytest.raises(AuthenticationError, match="Incorrect API key provided") as caught:
            client.get("models")
        assert len(emulator.requests) == 1
    assert sleeps.waits == []
    error = caught.value
    assert error.status_code == 401 and error.code == "invalid_api_key"
    for text in (str(error), repr(error), repr(error.body)):
        assert wrong_key not in text
        assert "cdef" not in text  # not even the part OpenAI quotes back


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_final_statuses_are_never_retried(openai_emulator, make_client, sleeps, status):
    openai_emulator.add_fault(path=MODELS, status=status, should_retry=True)
    with pytest.raises(APIStatusError) as caught:
        make_client().get("models")
    assert caught.value.status_code == status
    assert attempts(openai_emulator) == 1
    assert sleeps.waits == []


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503])
def test_transient_statuses_are_retried(openai_emulator, make_client, sleeps, status):
    openai_emulator.add_fault(path=MODELS, status=status, times=1)
    assert make_client().get("models")["data"]
    assert attempts(openai_emulator) == 2
    assert len(sleeps.waits) == 1


def test_x_should_retry_false_stops_a_retry(openai_emulator, make_client):
    openai_emulator.add_fault(path=MODELS, status=503, should_retry=False, times=1)
    with pytest.raises(InternalServerError):
        make_client().get("models")
    assert attempts(openai_emulator) == 1


def test_x_should_retry_true_allows_a_retry_of_an_unlisted_status(openai_emulator, make_client):
    openai_emulator.add_fault(path=MODELS, status=425, should_retry=True, times=1)
    assert make_client().get("models")["data"]
    assert attempts(openai_emulator) == 2


def test_retry_after_ms_is_honoured(openai_emulator, make_client, sleeps):
    openai_emulator.add_fault(path=MODELS, status=429, retry_after_ms=250, times=1)
    make_client().get("models")
    assert sleeps.waits == [pytest.approx(0.25)]


def test_retry_after_as_an_http_date_is_honoured(openai_emulator, make_client, sleeps):
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    openai_emulator.add_fault(
        path=MODELS, status=503, headers={"retry-after": format_datetime(when, usegmt=True)}, times=1
    )
    make_client().get("models")
    assert 28 <= sleeps.waits[0] <= 30


def test_a_server_requested_wait_is_capped(openai_emulator, make_client, sleeps):
    openai_emulator.add_fault(path=MODELS, status=429, retry_after=3600, times=1)
    make_client(max_retry_wait=2.0).get("models")
    assert sleeps.waits == [2.0]


def test_without_a_hint_the_backoff_is_exponential_with_jitter(openai_emulator, make_client, sleeps):
    openai_emulator.add_fault(path=MODELS, status=500, times=3)
    make_client(max_retries=3).get("models")
    first, second, third = sleeps.waits
    assert 0.375 <= first <= 0.5
    assert 0.75 <= second <= 1.0
    assert 1.5 <= third <= 2.0


def test_the_retry_budget_comes_from_the_config(openai_emulator, make_client, sleeps):
    openai_emulator.add_fault(path=MODELS, status=500)
    with pytest.raises(InternalServerError):
        make_client(max_retries=4).get("models")
    assert attempts(openai_emulator) == 5
    assert len(sleeps.waits) == 4


def test_zero_retries_means_one_attempt(openai_emulator, make_client):
    openai_emulator.add_fault(path=MODELS, status=429)
    with pytest.raises(RateLimitError):
        make_client(max_retries=0).get("models")
    assert attempts(openai_emulator) == 1


def test_a_dropped_connection_is_retried(openai_emulator, make_client):
    openai_emulator.add_fault(path=MODELS, drop=True, times=1)
    assert make_client().get("models")["data"]
    assert attempts(openai_emulator) == 1  # the dropped request was never answered, so never journalled


def test_a_read_timeout_is_retried_then_reported(openai_emulator, make_client, sleeps):
    openai_emulator.add_fault(path=MODELS, latency=1.0)
    with pytest.raises(APITimeoutError, match="read timeout"):
        make_client(timeout=0.2, max_retries=1).get("models")
    assert len(sleeps.waits) == 1


def test_a_request_unsafe_to_repeat_is_not_resent_after_it_may_have_arrived(openai_emulator, make_client, sleeps):
    openai_emulator.add_fault(path="/v1/chat/completions", drop=True, times=1)
    client = make_client()
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(APIConnectionError) as caught:
        client.post("chat/completions", body, safe_to_repeat=False)
    assert caught.value.may_have_reached_server
    assert sleeps.waits == []
    assert client.post("chat/completions", body)["choices"]  # the same call, safe to repeat, works


def test_a_refused_connection_is_retried_even_when_unsafe_to_repeat(sleeps, unused_port):
    client = OpenAIClient(
        ClientConfig(api_key="sk-x", base_url=f"http://127.0.0.1:{unused_port}/v1", max_retries=2), sleep=sleeps
    )
    with pytest.raises(APIConnectionError) as caught:
        client.post("fine_tuning/jobs", {"model": "gpt-4o-mini"}, safe_to_repeat=False)
    assert not caught.value.may_have_reached_server
    assert len(sleeps.waits) == 2


def test_each_retry_is_logged_with_its_reason_and_wait(openai_emulator, make_client, caplog):
    openai_emulator.add_fault(path=MODELS, status=429, retry_after=2, times=1)
    with caplog.at_level(logging.WARNING, logger="airflow_provider_openai_adv.client"):
        make_client().get("models")
    (record,) = caplog.records
    message = record.getMessage()
    assert "Retrying GET" in message and "/v1/models" in message
    assert "in 2.00 s" in message
    assert "HTTP 429 rate_limit_exceeded" in message
    assert "request_id=req_" in message


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}, 10.0),
        ({"retry-after": "not a date"}, None),
        ({}, None),
    ],
)
def test_server_retry_after_reads_every_form(headers, expected):
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc).timestamp()
    assert server_retry_after(headers, now=now) == expected

"""Rate-limit headers: OpenAI's duration format, and their exposure on responses."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.client.ratelimit import RateLimitInfo, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"), [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("2.5", 2.5)]
)
def test_reset_durations_are_parsed(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", None, "soon", "5x", "1s garbage"])
def test_unreadable_durations_give_none(text):
    assert parse_duration(text) is None


def test_headers_are_read_into_numbers():
    info = RateLimitInfo.from_headers(
        {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "59",
            "x-ratelimit-reset-requests": "1s",
            "x-ratelimit-limit-tokens": "150000",
            "x-ratelimit-remaining-tokens": "149984",
            "x-ratelimit-reset-tokens": "6ms",
        }
    )
    assert info == RateLimitInfo(60, 59, 1.0, 150000, 149984, 0.006)


def test_an_answer_without_the_headers_has_no_rate_limit_info():
    assert RateLimitInfo.from_headers({"content-type": "application/json"}) is None


def test_the_client_exposes_what_the_server_last_reported(openai_emulator, make_client):
    openai_emulator.set_rate_limit(rpm=10, tpm=10_000)
    client = make_client()
    response = client.request("GET", "models")
    assert response.rate_limit.limit_requests == 10
    assert response.rate_limit.remaining_requests == 9
    assert response.rate_limit.limit_tokens == 10_000
    assert 0 < response.rate_limit.reset_requests <= 60
    client.request("GET", "models")
    assert client.last_rate_limit.remaining_requests == 8

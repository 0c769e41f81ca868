"""Error answers become exceptions that say everything needed — and never the key."""

from __future__ import annotations

import pickle

import pytest

from airflow_provider_openai_adv.exceptions import (
    APIStatusError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    redact_secrets,
)


def test_the_message_carries_status_type_code_param_message_and_request_id(openai_emulator, make_client):
    client = make_client()
    with pytest.raises(BadRequestError) as caught:
        client.post(
            "chat/completions", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "n": 500}
        )
    error = caught.value
    assert error.status_code == 400
    assert error.error_type == "invalid_request_error"
    assert error.code == "integer_out_of_range"
    assert error.param == "n"
    assert error.request_id == openai_emulator.requests[-1].response_headers["x-request-id"]
    text = str(error)
    for part in ("400", "invalid_request_error", "integer_out_of_range", "param=n", "out of range", error.request_id):
        assert part in text


def test_each_status_maps_to_its_class(openai_emulator, make_client):
    client = make_client(max_retries=0)
    with pytest.raises(NotFoundError, match="does not exist"):
        client.get("models/no-such-model")
    with pytest.raises(PermissionDeniedError):
        client.delete("models/gpt-4o")
    openai_emulator.add_fault(path="/v1/models", status=503)
    with pytest.raises(InternalServerError):
        client.get("models")


def test_a_body_that_is_not_json_is_kept_as_text(openai_emulator, make_client):
    openai_emulator.add_fault(
        path="/v1/models", status=502, body="<html><body>Bad Gateway from the proxy</body></html>"
    )
    with pytest.raises(InternalServerError, match="Bad Gateway from the proxy") as caught:
        make_client(max_retries=0).get("models")
    assert caught.value.body == "<html><body>Bad Gateway from the proxy</body></html>"
    assert caught.value.error_type is None


def test_an_unknown_path_is_reported_like_openai_does(openai_emulator, make_client):
    with pytest.raises(NotFoundError, match="Invalid URL"):
        make_client().get("no/such/endpoint")


def test_errors_survive_pickling_with_all_details(openai_emulator, make_client):
    with pytest.raises(APIStatusError) as caught:
        make_client().get("models/no-such-model")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is NotFoundError
    assert (copy.status_code, copy.code, copy.request_id, str(copy)) == (
        404,
        "model_not_found",
        caught.value.request_id,
        str(caught.value),
    )


def test_the_key_is_redacted_wherever_a_server_echoes_it(openai_emulator, make_client):
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    openai_emulator.add_fault(path="/v1/models", status=400, message=f"Key {key} is not allowed here")
    with pytest.raises(BadRequestError) as caught:
        make_client(api_key=key).get("models")
    assert key not in str(caught.value)
    assert key not in repr(caught.value.body)
    assert "***" in caught.value.message


def test_redaction_masks_given_secrets_and_key_shaped_tokens():
    assert redact_secrets("token=abc123 and sk-live-XYZ987654", "abc123") == "token=*** and ***"
    assert redact_secrets("nothing secret") == "nothing secret"


def test_a_key_escaped_in_the_json_body_is_redacted_once_decoded(openai_emulator, make_client):
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    escaped = key.replace("-", "\\u002d")  # what a server's JSON encoder may send
    openai_emulator.add_fault(
        path="/v1/models",
        status=400,
        body='{"error": {"message": "bad key ' + escaped + '", "param": "' + escaped + '"}}',
    )
    with pytest.raises(BadRequestError) as caught:
        make_client(api_key=key).get("models")
    error = caught.value
    for text in (str(error), repr(error.body), error.message, str(error.param)):
        assert key not in text and "abcdefghijklmnopqrstuvwxyz0123" not in text


def test_a_key_a_server_echoes_in_a_header_is_redacted(openai_emulator, make_client):
    key = "custom-key-without-a-known-prefix-123456"
    openai_emulator.add_fault(path="/v1/models", status=400, headers={"x-debug-auth": f"Bearer {key}"})
    with pytest.raises(BadRequestError) as caught:
        make_client(api_key=key).get("models")
    assert caught.value.headers["x-debug-auth"] == "Bearer ***"
    assert key not in repr(caught.value.__dict__)


def test_a_non_json_error_body_is_redacted_and_bounded(openai_emulator, make_client):
    key = "custom-key-without-a-known-prefix-123456"
    page = f"<html>{'padding ' * 400}token={key}{'tail ' * 300_000}</html>"
    openai_emulator.add_fault(path="/v1/models", status=502, body=page)
    with pytest.raises(InternalServerError) as caught:
        make_client(api_key=key, max_retries=0).get("models")
    error = caught.value
    assert key not in error.message and key not in error.body
    assert len(error.message) <= 2001 and len(error.body) <= (1 << 20) + 1


@pytest.mark.parametrize(
    "body",
    [
        '{"error": ["not", "an", "object"]}',
        '{"error": {"message": {"nested": true}, "code": 429, "type": ["x"]}}',
        '{"error": null}',
        "[" * 3000 + "]" * 3000,
        '{"error": {"message": "' + "\\ud800" + '"}}',
    ],
)
def test_odd_error_bodies_still_become_our_errors(openai_emulator, make_client, body):
    openai_emulator.add_fault(path="/v1/models", status=400, body=body)
    with pytest.raises(BadRequestError) as caught:
        make_client().get("models")
    assert "OpenAI API error 400" in str(caught.value)


def test_redaction_covers_escaped_and_encoded_spellings():
    key = "my key+/\n"
    for spelling in (key, repr(key)[1:-1], "my%20key%2B%2F%0A", key.strip()):
        assert redact_secrets(f"before {spelling} after", key) == "before *** after"

"""Properties of the wire conventions: any error answer becomes the right ``APIStatusError``
(printable, picklable, without the key); any successful body is an object or
``InvalidResponseError``."""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from airflow_provider_openai_adv.client.protocol import decode_object, status_error
from airflow_provider_openai_adv.exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from tests.strategies import API_KEYS, bounded, deep_json, json_escaped, json_values, odd_bodies, unescaped

EXPECTED_CLASS = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def expected_class(status: int, error: APIStatusError) -> type[APIStatusError]:
    if status == 429 and "insufficient_quota" in (error.code, error.error_type):
        return InsufficientQuotaError
    if status >= 500:
        return InternalServerError
    return EXPECTED_CLASS.get(status, APIStatusError)


@st.composite
def error_answers(draw):
    """(key, body bytes, headers) of an error answer, the key somewhere in them (or not)."""
    api_key = draw(API_KEYS)
    # JSON bodies are built with the key as is, then the key is respelled in the JSON text
    # (raw, or with ``\\uXXXX`` escapes: the same string once decoded).
    spelled = draw(st.sampled_from([api_key, json_escaped(api_key, draw)]))
    secret = draw(st.sampled_from([api_key, f"Bearer {api_key}", f"Incorrect API key provided: {api_key}", ""]))
    error = draw(
        st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "message": st.one_of(st.just(secret), json_values(3)),
                    "type": st.one_of(st.just(secret), st.sampled_from(["insufficient_quota", "server_error"])),
                    "code": st.one_of(st.just(secret), st.sampled_from(["insufficient_quota", None]), json_values(2)),
                    "param": st.one_of(st.just(secret), json_values(2)),
                },
            ),
            st.just(secret),
            json_values(4),
        )
    )
    kind = draw(st.integers(0, 5))
    if kind == 0:
        body = json.dumps({"error": error}).replace(api_key, spelled).encode()
    elif kind == 1:
        body = ('{"error": {"message": "' + spelled + '", "type": "').encode()  # cut off: not JSON
    elif kind == 2:
        body = f"<html>{spelled} {draw(st.text(max_size=30))}</html>".encode()
    elif kind == 3:
        body = draw(st.binary(max_size=60)) + spelled.encode()
    elif kind == 4:
        body = draw(deep_json(max_depth=300)).encode()
    else:
        body = json.dumps({"error": error, secret: [secret]}).replace(api_key, spelled).encode()
    header_value = st.one_of(st.just(secret), st.text(alphabet=st.characters(max_codepoint=0x7E), max_size=20))
    headers = draw(
        st.dictionaries(
            st.sampled_from(["x-request-id", "X-Request-Id", "retry-after", "www-authenticate", "set-cookie", "Via"]),
            header_value,
            max_size=4,
        )
    )
    return api_key, body, headers


STATUSES = st.one_of(st.sampled_from([400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503]), st.integers(400, 599))


@bounded(80)
@given(STATUSES, st.text(max_size=20), error_answers())
@example(500, "Server Error", ("sk-abcdefgh", b"", {"x-request-id": "sk-abcdefgh"}))  # the key echoed as request id
@example(500, "Server Error", ("abcdefgh12", b"", {"x-request-id": "req abcdefgh12"}))
def test_any_error_answer_is_the_right_status_error_without_the_key(status, reason, answer):
    api_key, body, headers = answer
    error = status_error(status, reason, headers, body, api_key)
    assert isinstance(error, APIStatusError)
    assert type(error) is expected_class(status, error)
    assert error.status_code == status
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error) and copy.__dict__ == error.__dict__
    for text in (str(error), repr(error), repr(error.body), repr(error.headers), repr(error.message),
                 repr(error.request_id), str(copy)):  # fmt: skip
        assert api_key not in text
        assert api_key not in unescaped(text)


@bounded(100)
@given(st.one_of(odd_bodies().map(str.encode), st.binary(max_size=80), deep_json().map(str.encode)), API_KEYS)
def test_any_successful_body_decodes_to_an_object_or_invalid_response(content, api_key):
    try:
        body = decode_object(content, description="GET /v1/x", request_id="req_1", api_key=api_key)
    except InvalidResponseError as error:
        assert "GET /v1/x [request_id=req_1]" in str(error)
    else:
        assert isinstance(body, dict)


@bounded(60)
@given(st.dictionaries(st.text(max_size=8), json_values(8), max_size=5), API_KEYS)
def test_a_json_object_decodes_to_itself(value, api_key):
    assert decode_object(json.dumps(value).encode(), description="d", request_id=None, api_key=api_key) == value


@bounded(60)
@given(API_KEYS, st.data())
def test_an_undecodable_body_is_quoted_without_the_key(api_key, data):
    spelled = data.draw(st.sampled_from([api_key, json_escaped(api_key, data.draw)]))
    content = data.draw(st.sampled_from(['{"id": "%s"', '["%s"]', "<p>%s</p>", '"%s"'])) % spelled
    with pytest.raises(InvalidResponseError) as caught:
        decode_object(content.encode(), description="d", request_id=None, api_key=api_key)
    assert api_key not in str(caught.value) and api_key not in unescaped(str(caught.value))


@bounded(40)
@given(API_KEYS, st.sampled_from([b"[]", b"<html></html>", b"{", b"null"]))
def test_a_request_id_echoing_the_key_is_masked_in_invalid_response_errors(api_key, content):
    with pytest.raises(InvalidResponseError) as caught:
        decode_object(content, description="d", request_id=f"req-{api_key}", api_key=api_key)
    assert api_key not in str(caught.value)

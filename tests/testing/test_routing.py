"""Routing: matched on the raw path, parameters decoded after; one router per kind of route."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_openai_adv.testing.app import EmulatorApp
from airflow_provider_openai_adv.testing.http import json_response
from airflow_provider_openai_adv.testing.routes import FAMILIES, chat, models
from airflow_provider_openai_adv.testing.routing import Route, Router
from airflow_provider_openai_adv.testing.state import EmulatorState

FINE_TUNED = "ft:gpt-4o-mini:org::abc"


def raw_get(emulator, raw_path: str) -> requests.Response:
    """GET a path exactly as written (requests keeps valid percent-escapes as they are)."""
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    return requests.get(emulator.base_url.removesuffix("/v1") + raw_path, headers=headers)


# -- over HTTP ----------------------------------------------------------------------------


def test_an_encoded_slash_stays_inside_its_segment(openai_emulator):
    response = raw_get(openai_emulator, "/v1/files/file-abc%2F..%2Fmodels")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such File object: file-abc/../models"
    assert raw_get(openai_emulator, "/v1/files/file-abc%2F..%2Fmodels/content").status_code == 404
    entry = openai_emulator.requests[-2]
    assert entry.raw_path == "/v1/files/file-abc%2F..%2Fmodels" and entry.path == "/v1/files/file-abc/../models"


def test_an_encoded_model_name_reaches_the_model_route(openai_emulator):
    openai_emulator.state.models[FINE_TUNED] = {"id": FINE_TUNED, "object": "model", "created": 1, "owned_by": "me"}
    response = raw_get(openai_emulator, "/v1/models/ft%3Agpt-4o-mini%3Aorg%3A%3Aabc")
    assert response.status_code == 200 and response.json()["id"] == FINE_TUNED
    headers = {"Authorization": f"Bearer {openai_emulator.api_key}"}
    url = openai_emulator.base_url + "/models/ft%3Agpt-4o-mini%3Aorg%3A%3Aabc"
    assert requests.delete(url, headers=headers).json() == {"id": FINE_TUNED, "object": "model", "deleted": True}
    assert FINE_TUNED not in openai_emulator.state.models


def test_an_encoded_file_id_is_decoded(openai_emulator, http):
    file_id = http.post("/files", files={"file": ("a.txt", b"x")}, data={"purpose": "user_data"}).json()["id"]
    encoded = file_id.replace("-", "%2D")
    assert raw_get(openai_emulator, f"/v1/files/{encoded}").json()["id"] == file_id


def test_fixed_paths_match_as_sent(openai_emulator, http):
    response = http.post("/chat%2Fcompletions", json={"model": "gpt-4o-mini", "messages": []})
    assert response.status_code == 404 and response.json()["error"]["message"].startswith("Invalid URL")


def test_a_known_path_with_another_method_is_a_405(http):
    assert http.request("PUT", "/models").status_code == 405
    assert http.request("PUT", "/files/file-1").status_code == 405


def test_an_unknown_control_is_a_404(openai_emulator):
    response = requests.get(openai_emulator.base_url.removesuffix("/v1") + "/_emulator/nothing")
    assert response.status_code == 404 and "Unknown emulator control" in response.json()["error"]["message"]


# -- the router -----------------------------------------------------------------------------


def handler(request):
    return json_response({})


def other(request):
    return json_response({})


@pytest.fixture
def router():
    return Router(
        "/v1",
        [
            Route("GET", "/files", handler),
            Route("GET", "/files/{file_id}", handler),
            Route("DELETE", "/files/{file_id}", other),
            Route("GET", "/files/{file_id}/content", other),
        ],
    )


@pytest.mark.parametrize(
    ("method", "raw_path", "expected"),
    [
        ("GET", "/v1/files", (handler, {}, True)),
        ("GET", "/v1/files/a%2Fb", (handler, {"file_id": "a/b"}, True)),
        ("DELETE", "/v1/files/file-1", (other, {"file_id": "file-1"}, True)),
        ("GET", "/v1/files/x%20y/content", (other, {"file_id": "x y"}, True)),
        ("POST", "/v1/files/file-1", (None, {}, True)),
        ("POST", "/v1/files", (None, {}, True)),
        ("GET", "/v1/files/", (None, {}, False)),  # a parameter is never empty
        ("GET", "/v1/files/a/b", (None, {}, False)),
        ("GET", "/v2/files", (None, {}, False)),
        ("GET", "/v1files", (None, {}, False)),
        ("GET", "/v1/fil%65s", (None, {}, False)),  # fixed segments compare as sent
    ],
)
def test_the_router_resolves_raw_paths(router, method, raw_path, expected):
    assert router.resolve(method, raw_path) == expected


def test_the_app_builds_its_routers_from_the_families_it_is_given(tmp_path):
    app = EmulatorApp(EmulatorState(tmp_path), families=(models, chat))
    assert app.api.resolve("GET", "/v1/models")[0] is not None
    assert app.api.resolve("POST", "/v1/chat/completions")[0] is not None
    assert app.api.resolve("GET", "/v1/files")[0] is None
    assert app.public.resolve("GET", "/_emulator/images/img-1.png")[0] is None


def test_every_family_by_default_with_public_and_control_routes_apart(tmp_path):
    app = EmulatorApp(EmulatorState(tmp_path))
    assert len(FAMILIES) == 15
    assert app.public.resolve("GET", "/_emulator/images/img-1.png")[0] is not None
    assert app.api.resolve("GET", "/v1/_emulator/images/img-1.png")[0] is None
    assert app.control.resolve("GET", "/_emulator/health")[0] is not None
    assert app.control.resolve("GET", "/_emulator/images/img-1.png")[0] is None


@pytest.mark.parametrize("path", ["/chat/completions", "/responses", "/conversations", "/embeddings"])
def test_a_body_nested_beyond_reason_is_a_400_not_a_crash(http, path):
    deep = "[" * 5_000 + "]" * 5_000
    response = http.post(path, data=f'{{"model": "gpt-4o-mini", "input": {deep}, "messages": {deep}}}'.encode(),
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 400
    assert "could not parse the JSON body" in response.json()["error"]["message"]


def test_a_body_that_is_not_an_object_is_a_400_however_often_it_is_read(http, openai_emulator):
    openai_emulator.set_rate_limit(tpm=1_000_000)  # the limit reads the body before the handler does
    response = http.post("/chat/completions", data=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The request body must be a JSON object."

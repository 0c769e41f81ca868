"""Each endpoint serves the kinds of model it serves on OpenAI and refuses the others as OpenAI does.

``testing/models.py``'s ``model_kind`` reads a model's kind from its id (a fine-tuned
``ft:`` model is of its base's kind); each route names the kinds it serves
(``routes.common.model_of_kind``). The kinds are checked against OpenAI's specification:
every model it names for an endpoint is served there.
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_openai_adv.testing.models import model_kind
from tests.contract.conftest import CURRENT, spec_or_skip
from tests.contract.openapi import spec_document
from tests.contract.test_models_contract import model_ids_named
from tests.fine_tuning import training_jsonl
from tests.media import make_wav

HELLO = [{"role": "user", "content": "Hello"}]
NOT_CHAT = (
    "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
    "Did you mean to use v1/completions?"
)
CHAT_ON_COMPLETIONS = (
    "This is a chat model and not supported in the v1/completions endpoint. Did you mean to use v1/chat/completions?"
)
RESPONSES_ONLY = "This model is only supported in v1/responses and not in v1/chat/completions."
NOT_EMBEDDING = "You are not allowed to generate embeddings from this model"
COMPLETION_EXAMPLES = "".join(json.dumps({"prompt": f"Q{i}", "completion": f" A{i}"}) + "\n" for i in range(10))


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("gpt-4o-mini", "chat"), ("o3", "chat"), ("chatgpt-4o-latest", "chat"), ("gpt-4o-audio-preview", "chat"),
        ("o3-pro", "responses"), ("gpt-5-codex", "responses"), ("computer-use-preview", "responses"),
        ("gpt-3.5-turbo-instruct", "completion"), ("babbage-002", "completion"),
        ("text-embedding-ada-002", "embedding"), ("omni-moderation-latest", "moderation"),
        ("text-moderation-stable", "moderation"), ("dall-e-3", "image"), ("gpt-image-1.5", "image"),
        ("chatgpt-image-latest", "image"), ("tts-1-hd", "speech"), ("gpt-4o-mini-tts", "speech"),
        ("whisper-1", "transcription"), ("gpt-4o-transcribe-diarize", "transcription"),
        ("ft:gpt-4o-mini:emulator:tickets:abc12345", "chat"), ("ft:davinci-002:emulator::abc12345", "completion"),
        ("ft:curie:emulator::abc12345", "completion"),  # a 2023 fine-tune's base
    ],
)  # fmt: skip
def test_a_models_kind_is_read_from_its_id(model, kind):
    assert model_kind(model) == kind


WAV = ("talk.wav", make_wav(1), "audio/wav")
MINIMAL_REQUESTS = {
    "/chat/completions": lambda model: {"json": {"model": model, "messages": HELLO}},
    "/responses": lambda model: {"json": {"model": model, "input": "Hello"}},
    "/completions": lambda model: {"json": {"model": model, "prompt": "Hello"}},
    "/embeddings": lambda model: {"json": {"model": model, "input": "Hello", "encoding_format": "float"}},
    "/moderations": lambda model: {"json": {"model": model, "input": "Hello"}},
    "/audio/speech": lambda model: {"json": {"model": model, "input": "Hello", "voice": "alloy"}},
    "/audio/transcriptions": lambda model: {"files": {"file": WAV}, "data": {"model": model}},
    "/audio/translations": lambda model: {"files": {"file": WAV}, "data": {"model": model}},
}


@pytest.mark.parametrize("path", MINIMAL_REQUESTS)
def test_every_model_the_spec_names_for_an_endpoint_is_served_by_it(post, path):
    spec_or_skip(CURRENT)
    named = model_ids_named(spec_document(CURRENT), lambda method, served: (method, served) == ("POST", "/v1" + path))
    assert named, f"the specification names no model for {path}"
    statuses = {model: post(path, **MINIMAL_REQUESTS[path](model)).status_code for model in sorted(named)}
    assert {model: status for model, status in statuses.items() if status != 200} == {}


REFUSALS = {
    "chat, a speech model": ("/chat/completions", {"model": "tts-1", "messages": HELLO}, 404, NOT_CHAT, "model"),
    "chat, an image model": ("/chat/completions", {"model": "dall-e-3", "messages": HELLO}, 404, NOT_CHAT, "model"),
    "chat, a completion model": (
        "/chat/completions", {"model": "gpt-3.5-turbo-instruct", "messages": HELLO}, 404, NOT_CHAT, "model",
    ),
    "chat, a Responses-only model": (
        "/chat/completions", {"model": "o3-pro", "messages": HELLO}, 404, RESPONSES_ONLY, "model",
    ),
    "responses, a speech model": (
        "/responses", {"model": "tts-1", "input": "Hi"}, 400,
        "The requested model 'tts-1' is not supported with the Responses API.", "model",
    ),
    "responses, an embedding model": (
        "/responses", {"model": "text-embedding-3-small", "input": "Hi"}, 400,
        "The requested model 'text-embedding-3-small' is not supported with the Responses API.", "model",
    ),
    "completions, a Responses-only model": (
        "/completions", {"model": "o3-pro", "prompt": "Hi"}, 404, CHAT_ON_COMPLETIONS, "model",
    ),
    "embeddings, a chat model": ("/embeddings", {"model": "gpt-4o", "input": "Hi"}, 403, NOT_EMBEDDING, None),
    "moderations, a chat model": (
        "/moderations", {"model": "gpt-4o", "input": "Hi"}, 400, "The model `gpt-4o` is not a moderation model.",
        "model",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("path", "body", "status", "message", "param"), REFUSALS.values(), ids=REFUSALS)
def test_a_model_of_the_wrong_kind_gets_openais_answer(post, path, body, status, message, param):
    response = post(path, json=body)
    assert response.status_code == status
    assert response.json()["error"] == {
        "message": message,
        "type": "invalid_request_error",
        "param": param,
        "code": None,
    }


def fine_tuned(http, openai_emulator, base: str, training: bytes) -> str:
    """The model a fine-tune of ``base`` makes, run to its end on the emulator's clock."""
    upload = http.post("/files", files={"file": ("train.jsonl", training)}, data={"purpose": "fine-tune"}).json()
    job = http.post("/fine_tuning/jobs", json={"model": base, "training_file": upload["id"]}).json()
    openai_emulator.advance_clock(60)
    return http.get(f"/fine_tuning/jobs/{job['id']}").json()["fine_tuned_model"]


def test_a_fine_tuned_model_is_served_where_its_base_is_and_refused_elsewhere(openai_emulator, http):
    chat_model = fine_tuned(http, openai_emulator, "gpt-4o-mini", training_jsonl())
    completion_model = fine_tuned(http, openai_emulator, "davinci-002", COMPLETION_EXAMPLES.encode())
    assert http.post("/chat/completions", json={"model": chat_model, "messages": HELLO}).status_code == 200
    assert http.post("/responses", json={"model": chat_model, "input": "Hi"}).status_code == 200
    assert http.post("/completions", json={"model": completion_model, "prompt": "Q1"}).json()["choices"][0]["text"]
    assert http.post("/chat/completions", json={"model": completion_model, "messages": HELLO}).status_code == 404
    assert http.post("/embeddings", json={"model": chat_model, "input": "Hi"}).status_code == 403


def test_wrong_kinds_are_the_sdks_error_classes(openai_emulator):
    openai = pytest.importorskip("openai")
    with openai.OpenAI(base_url=openai_emulator.base_url, api_key=openai_emulator.api_key, max_retries=0) as client:
        with pytest.raises(openai.NotFoundError) as not_chat:
            client.chat.completions.create(model="dall-e-3", messages=HELLO)
        with pytest.raises(openai.PermissionDeniedError) as not_embedding:
            client.embeddings.create(model="gpt-4o-mini", input="Hi", encoding_format="float")
        with pytest.raises(openai.BadRequestError) as not_responses:
            client.responses.create(model="whisper-1", input="Hi")
    assert (not_chat.value.status_code, not_chat.value.param, not_chat.value.code) == (404, "model", None)
    assert not_chat.value.message.startswith("Error code: 404 - ") and NOT_CHAT in not_chat.value.message
    assert (not_embedding.value.status_code, not_embedding.value.param) == (403, None)
    assert (not_responses.value.status_code, not_responses.value.param) == (400, "model")

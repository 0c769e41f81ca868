"""The emulator's image and audio exchanges fit OpenAI's current specification.

Each endpoint is driven with a few variants, then every exchange in the journal is checked
with ``tests.contract.openapi.validate_recorded``. JSON requests (``/images/generations``)
go through ``validate_exchange`` unchanged. The multipart ones needed four adaptations,
each kept as small as possible:

* Requests: ``openapi-core`` 0.23 cannot check these multipart bodies. It does not cast
  text parts to the integers and numbers the schemas declare (``n``, ``temperature``), it
  fails on OpenAPI 3.1 type lists (``["integer", "null"]``, which is how
  ``tests.contract.openapi`` spells ``nullable``), and it reads an absent array part as
  ``[]``, which ``languages``' ``minItems: 1`` refuses. So each request is rebuilt from the
  journal's fields and files into the object the body encodes, text parsed as the number
  or boolean its schema declares, and that object is validated against the operation's
  request schema: every enum, range, required and additional property is still checked.
* Arrays: parts are sent repeated under the property's own name
  (``timestamp_granularities``, ``image``), which is how OpenAPI encodes an array. OpenAI's
  SDKs (and this provider's hook) send ``timestamp_granularities[]`` and ``image[]``; the
  check reads such a part as the property without the brackets. The emulator accepts both.
* Verbose answers: the spec's 200 answer is ``oneOf`` [json, verbose_json, …], but the
  json schemas require only ``text`` and allow other properties, so every verbose answer
  matches two branches and can never satisfy ``oneOf``. Verbose answers are therefore
  validated against their own schema.
* ``text``, ``srt`` and ``vtt`` answers: for 200 the spec declares only
  ``application/json`` (and an event stream), so for them only the request is checked;
  ``tests/testing/test_audio_routes.py`` checks their formats.
* Streamed images: the spec gives each event's schema, not the stream's; each event of a
  stream is validated against its own (``ImageGenPartialImageEvent``, ...).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from jsonschema.exceptions import ValidationError

from airflow_provider_openai_adv.testing.jpeg import encode_jpeg
from airflow_provider_openai_adv.testing.png import encode_png
from tests.contract.openapi import validate_recorded, validate_schema
from tests.media import make_wav

WAV = {"file": ("talk.wav", make_wav(4), "audio/wav")}


def drive_every_media_endpoint(post) -> None:
    prompt = {"prompt": "a lighthouse at dusk"}
    for body in (
        {},
        {"model": "dall-e-2", "n": 2, "size": "256x256", "response_format": "b64_json", "user": "u-1"},
        {"model": "dall-e-3", "size": "1792x1024", "quality": "hd", "style": "natural"},
        {"model": "gpt-image-1", "size": "1024x1536", "quality": "low"},
        {"model": "gpt-image-2", "size": "1536x864", "output_format": "jpeg", "output_compression": 60},
        {"model": "gpt-image-1.5", "background": "transparent", "output_format": "webp", "moderation": "low"},
        {"output_format": "png", "background": "opaque"},  # no model: a GPT image model answers
    ):
        post("/images/generations", json={**prompt, **body})
    square = ("in.png", encode_png(64, 64, 1), "image/png")
    post(
        "/images/edits",
        files={"image": square, "mask": ("mask.png", encode_png(64, 64, 2), "image/png")},
        data={**prompt, "model": "dall-e-2", "n": "2", "size": "256x256", "response_format": "b64_json"},
    )
    two_images = [("image", square), ("image", ("wide.png", encode_png(96, 64, 3), "image/png"))]
    post("/images/edits", files=two_images, data={**prompt, "model": "gpt-image-1", "quality": "medium"})
    jpeg = ("in.jpg", encode_jpeg(64, 64, 4), "image/jpeg")
    data = {**prompt, "model": "gpt-image-1.5", "input_fidelity": "high", "output_format": "webp", "size": "auto"}
    post("/images/edits", files={"image": jpeg}, data=data)
    post("/images/variations", files={"image": square}, data={"n": "2", "size": "512x512"})
    post("/images/variations", files={"image": square}, data={"model": "dall-e-2", "response_format": "b64_json"})
    for data in (
        {"model": "whisper-1", "language": "de", "prompt": "Airflow", "temperature": "0.2"},
        {"model": "gpt-4o-transcribe"},
        {"model": "whisper-1", "response_format": "verbose_json", "timestamp_granularities": ["word", "segment"]},
        {"model": "whisper-1", "response_format": "text"},
        {"model": "whisper-1", "response_format": "srt"},
        {"model": "whisper-1", "response_format": "vtt"},
        {"model": "gpt-4o-mini-transcribe", "response_format": "text"},
    ):
        post("/audio/transcriptions", files=WAV, data=data)
    for response_format in ("json", "verbose_json", "text", "srt"):
        data = {"model": "whisper-1", "response_format": response_format, "prompt": "Hello", "temperature": "0.5"}
        post("/audio/translations", files=WAV, data=data)


def test_media_exchanges_fit_the_current_spec(openai_emulator, post, current_spec, current_document):
    drive_every_media_endpoint(post)
    exchanges = openai_emulator.requests
    assert len(exchanges) == 23
    for entry in exchanges:
        assert entry.status == 200, entry.response_body
        validate_recorded(current_spec, current_document, entry)


def test_the_check_can_fail(openai_emulator, post, current_spec, current_document):
    """A request the spec forbids and answers it forbids are reported, on every path of ``check``."""
    from openapi_core.exceptions import OpenAPIError

    data = {"model": "whisper-1", "response_format": "verbose_json", "timestamp_granularities": ["sentence"]}
    assert post("/audio/transcriptions", files=WAV, data=data).status_code == 400  # the emulator refuses it too
    with pytest.raises(ValidationError, match="'sentence' is not one of"):
        validate_recorded(current_spec, current_document, openai_emulator.requests[-1])

    post("/audio/transcriptions", files=WAV, data={**data, "timestamp_granularities": ["word"]})
    verbose = openai_emulator.requests[-1]
    validate_recorded(current_spec, current_document, verbose)
    no_duration = {key: value for key, value in verbose.response_json().items() if key != "duration"}
    with pytest.raises(ValidationError, match="'duration' is a required property"):
        validate_recorded(
            current_spec, current_document, replace(verbose, response_body=json.dumps(no_duration).encode())
        )

    post("/images/generations", json={"prompt": "a lighthouse"})
    generated = openai_emulator.requests[-1]
    validate_recorded(current_spec, current_document, generated)
    with pytest.raises(OpenAPIError):
        validate_recorded(current_spec, current_document, replace(generated, response_body=b'{"data": []}'))


@pytest.mark.parametrize(("path", "events"), [("/images/generations", "ImageGen"), ("/images/edits", "ImageEdit")])
def test_streamed_image_events_fit_their_schemas(post, current_document, path, events):
    body = {"prompt": "a lighthouse", "model": "gpt-image-1.5", "stream": True, "partial_images": 1}
    if path == "/images/edits":
        files = {"image": ("in.png", encode_png(64, 64, 1), "image/png")}
        response = post(path, files=files, data={**body, "stream": "true", "partial_images": "1"})
    else:
        response = post(path, json={**body, "background": "transparent", "quality": "low"})
    blocks = [block.splitlines() for block in response.text.strip().split("\n\n")]
    sent = [json.loads(lines[1].removeprefix("data: ")) for lines in blocks]
    assert [event["type"].rsplit(".", 1)[1] for event in sent] == ["partial_image", "completed"]
    for event, schema_name in zip(sent, (f"{events}PartialImageEvent", f"{events}CompletedEvent"), strict=True):
        validate_schema(current_document, schema_name, event)

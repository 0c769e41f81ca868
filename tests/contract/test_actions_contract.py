"""Every request the hook sends for the 24 actions fits OpenAI's specification.

Today's paths are checked against ``openapi-current.yaml``, the removed ones (edits,
fine-tunes, engines) against ``openapi-2023-legacy.yaml``; the emulator's answers
against the same documents. Exchanges whose answer is not JSON (file content, image
downloads, text transcripts) are checked on the request side only.
"""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.testing.png import encode_png
from tests.contract.openapi import validate_recorded
from tests.fine_tuning import training_jsonl
from tests.media import make_wav

LEGACY_PATHS = ("/v1/edits", "/v1/fine-tunes", "/v1/engines")
CHAT = [{"role": "user", "content": "Say something about rivers."}]


@pytest.fixture
def inputs(tmp_path):
    image = tmp_path / "square.png"
    image.write_bytes(encode_png(256, 256, seed=5))
    audio = tmp_path / "speech.wav"
    audio.write_bytes(make_wav(1, rate=8000))
    training = tmp_path / "train.jsonl"
    training.write_bytes(training_jsonl())
    return {"image": image, "audio": audio, "training": training, "out": tmp_path / "out"}


def run_all_actions(inputs, *, legacy: bool) -> None:
    hook = OpenAIAdvHook.for_connection(legacy=legacy)  # the removed actions: 2023 paths or today's
    hook.get_models()
    hook.create_completion(model="gpt-3.5-turbo-instruct", prompt=["One", "Two"], max_tokens=20, n=2, echo=True)
    hook.create_completion(model="gpt-3.5-turbo-instruct", prompt="Stream me", stream=True)
    hook.create_chat_completion(model="gpt-4o-mini", messages=CHAT, temperature=0.1)
    hook.create_edit(instruction="Make it formal", input="hey there", n=1)
    hook.create_image(prompt="A red kite", n=1, size="256x256", response_format="b64_json")
    hook.create_image(prompt="A blue kite", model="dall-e-3", size="1024x1024", quality="standard")
    hook.create_image_edit(image=inputs["image"], mask=inputs["image"], prompt="Add stars", size="256x256")
    hook.create_image_variation(image=inputs["image"], n=2, size="256x256", response_format="b64_json")
    hook.create_embeddings(input=["a", "b"], model="text-embedding-3-small", dimensions=16)
    hook.create_transcription(file=inputs["audio"], response_format="verbose_json", timestamp_granularities=["word"])
    hook.create_transcription(file=inputs["audio"], response_format="json", language="en")
    hook.create_translation(file=inputs["audio"], response_format="json")
    uploaded = hook.upload_file(inputs["training"], purpose="fine-tune")
    hook.list_files(purpose="fine-tune")
    hook.retrieve_file(uploaded["id"])
    hook.retrieve_file_content(uploaded["id"], output_path=inputs["out"] / "copy.jsonl")
    model = "curie" if legacy else "gpt-4o-mini"
    job = hook.create_fine_tune(training_file=uploaded["id"], model=model, n_epochs=2)
    hook.list_fine_tunes()
    hook.retrieve_fine_tune(job["id"])
    hook.list_fine_tune_events(job["id"])
    hook.cancel_fine_tune(job["id"])
    hook.create_moderation(input=["I will attack you", "Hello"])
    hook.list_engines()
    hook.retrieve_engine("gpt-4o-mini")
    hook.delete_file(uploaded["id"])


@pytest.mark.parametrize("legacy", [False, True], ids=["today", "legacy"])
def test_every_action_fits_the_specification(
    openai_emulator, current_spec, current_document, legacy_spec, legacy_document, inputs, legacy
):
    openai_emulator.set_fine_tune_timings(running=600)  # the job is still running when it is cancelled
    openai_emulator.state.models["ft:gpt-4o-mini:emulator::gone"] = {
        "id": "ft:gpt-4o-mini:emulator::gone", "object": "model", "created": 1, "owned_by": "emulator"
    }  # fmt: skip
    run_all_actions(inputs, legacy=legacy)
    OpenAIAdvHook().delete_fine_tuned_model("ft:gpt-4o-mini:emulator::gone")
    checked = {"current": 0, "legacy": 0}
    for entry in openai_emulator.requests:
        if not entry.path.startswith("/v1/"):
            continue  # image downloads from the emulator's public URLs
        is_legacy = entry.path.startswith(LEGACY_PATHS)
        spec, document = (legacy_spec, legacy_document) if is_legacy else (current_spec, current_document)
        if not entry.response_content_type.startswith("application/json"):
            entry.response_body = None  # raw bytes: the request is still checked
        validate_recorded(spec, document, entry)
        checked["legacy" if is_legacy else "current"] += 1
    assert checked == ({"current": 19, "legacy": 8} if legacy else {"current": 27, "legacy": 0})

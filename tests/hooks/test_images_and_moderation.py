"""``OpenAIAdvHook``'s image and moderation actions: each model with its own parameters, on the emulator."""

from __future__ import annotations

import base64

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.testing.jpeg import encode_jpeg, jpeg_size
from airflow_provider_openai_adv.testing.png import encode_png, png_size
from airflow_provider_openai_adv.testing.webp import encode_webp, webp_size
from tests.dag_runs import names_argument

SIZE_OF = {"png": png_size, "jpeg": jpeg_size, "webp": webp_size}
REQUIRED = {
    "create_image": {"prompt": "A kite"},
    "create_image_edit": {"prompt": "A kite", "image": encode_png(32, 32, 1)},
    "create_image_variation": {"image": encode_png(32, 32, 1)},
    "create_moderation": {},
}


def image_of(answer: dict, output_format: str) -> tuple[int, int]:
    """The size of the answer's first image, read as ``output_format`` (a ValueError if it is not one)."""
    return SIZE_OF[output_format](base64.b64decode(answer["data"][0]["b64_json"]))


@pytest.mark.parametrize(
    ("model", "size", "output_format"),
    [
        ("gpt-image-1", "1024x1536", "jpeg"),
        ("gpt-image-1-mini", "1536x1024", "webp"),
        ("gpt-image-1.5", "auto", "png"),
        ("gpt-image-2", "2048x1152", "webp"),
        ("gpt-image-2-2026-04-21", "1024x1024", "jpeg"),
    ],
)
def test_each_gpt_image_model_draws_its_sizes_in_the_format_asked(openai_emulator, model, size, output_format):
    answer = OpenAIAdvHook().create_image(prompt="A kite", model=model, size=size, output_format=output_format)
    expected = (1024, 1024) if size == "auto" else tuple(map(int, size.split("x")))
    assert image_of(answer, output_format) == expected
    assert answer["output_format"] == output_format and answer["usage"]["total_tokens"] > 0


def test_without_a_model_a_gpt_image_option_lets_the_api_pick_a_gpt_image_model(openai_emulator):
    answer = OpenAIAdvHook().create_image(prompt="A kite", output_format="webp", background="transparent")
    assert "model" not in openai_emulator.requests[-1].json()
    assert image_of(answer, "webp") == (1024, 1024) and answer["background"] == "transparent"


def test_an_edit_sends_several_images_as_an_array(openai_emulator, tmp_path):
    images = {"a.png": encode_png(32, 32, 1), "b.jpg": encode_jpeg(32, 32, 2), "c.webp": encode_webp(32, 32, 3)}
    for name, data in {**images, "mask.png": encode_png(32, 32, 4)}.items():
        (tmp_path / name).write_bytes(data)
    answer = OpenAIAdvHook().create_image_edit(
        image=[tmp_path / name for name in images],
        mask=tmp_path / "mask.png",
        prompt="Put them on a table",
        model="gpt-image-1.5",
        input_fidelity="high",
        quality="medium",
    )
    request = openai_emulator.requests[-1]
    assert [part["filename"] for part in request.files["image[]"]] == list(images)
    assert request.form["input_fidelity"] == ["high"] and "mask" in request.files
    assert image_of(answer, "png") == (1024, 1024) and answer["quality"] == "medium"


def test_a_moderation_of_text_and_an_image(openai_emulator):
    parts = [{"type": "text", "text": "hello"}, {"type": "image_url", "image_url": {"url": "https://x/gore.png"}}]
    [result] = OpenAIAdvHook().create_moderation(input=parts, model="omni-moderation-latest")["results"]
    assert result["categories"]["violence/graphic"]


@pytest.mark.parametrize(
    ("method", "arguments", "named"),
    [
        ("create_image", {"model": "gpt-image-1", "stream": True}, "stream"),
        ("create_image", {"model": "gpt-image-1", "partial_images": 2}, "partial_images"),
        ("create_image", {"model": "gpt-image-1", "response_format": "b64_json"}, "response_format"),
        ("create_image", {"model": "dall-e-2", "output_format": "png"}, "output_format"),
        ("create_image", {"quality": "high"}, "quality"),  # dall-e-2, the API's default
        ("create_image", {"model": "gpt-image-1", "output_format": "jpeg", "background": "transparent"}, "background"),
        ("create_image", {"model": "gpt-image-1", "output_compression": 80}, "output_compression"),
        ("create_image", {"model": "gpt-image-1", "input_fidelity": "high"}, "input_fidelity"),
        ("create_image_edit", {"model": "gpt-image-1-mini", "input_fidelity": "high"}, "input_fidelity"),
        ("create_image_edit", {"model": "dall-e-3"}, "model"),
        ("create_image_edit", {"model": "gpt-image-1", "image": [b"GIF89a" + bytes(30)]}, "image"),
        ("create_image_variation", {"model": "gpt-image-1"}, "model"),
        ("create_moderation", {"input": [{"type": "image_url", "image_url": {"url": "https://x"}}],
                               "model": "text-moderation-stable"}, "input[0]"),
    ],
)  # fmt: skip
def test_what_a_model_does_not_take_is_refused_before_any_request(openai_emulator, method, arguments, named):
    with pytest.raises(OpenAIValidationError, match=names_argument(named)):
        getattr(OpenAIAdvHook(), method)(**{**REQUIRED[method], **arguments})
    assert openai_emulator.requests == []

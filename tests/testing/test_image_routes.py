"""The emulator's image endpoints over real HTTP: generations, edits, variations, image URLs."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from airflow_provider_openai_adv.testing.jpeg import encode_jpeg, jpeg_size
from airflow_provider_openai_adv.testing.png import encode_png, png_size
from airflow_provider_openai_adv.testing.webp import encode_webp, webp_size

SQUARE = encode_png(64, 64, 1)
SPEC_MODELS = (
    "dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "gpt-image-2",
    "gpt-image-2-2026-04-21", "chatgpt-image-latest",
)  # fmt: skip
GPT_IMAGE_MODELS = SPEC_MODELS[2:]


def decoded(item: dict) -> bytes:
    return base64.b64decode(item["b64_json"])


def picture(data: bytes) -> tuple[str, tuple[int, int]]:
    """The format and size of an image, read from its own header."""
    for kind, reader in (("png", png_size), ("jpeg", jpeg_size), ("webp", webp_size)):
        try:
            return kind, reader(data)
        except ValueError:
            continue
    raise AssertionError(f"not an image: {data[:16]!r}")


def png_has_alpha(data: bytes) -> bool:
    return data[25] == 6  # the IHDR's colour type: 6 is RGBA, 2 RGB


def generate(post, **body):
    response = post("/images/generations", json={"prompt": "a red fox in snow", **body})
    assert response.status_code == 200, response.text
    return response.json()


def sse_events(response) -> list[tuple[str, dict]]:
    """``(event name, data)`` of each server-sent event."""
    events = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


# -- generations ------------------------------------------------------------------------


def test_a_url_answer_downloads_without_a_key(openai_emulator, post):
    answer = generate(post)
    assert set(answer) == {"created", "data"} and len(answer["data"]) == 1
    url = answer["data"][0]["url"]
    assert url.startswith(openai_emulator.base_url.removesuffix("/v1") + "/")
    download = requests.get(url)  # no Authorization header
    assert download.status_code == 200 and download.headers["content-type"] == "image/png"
    assert png_size(download.content) == (1024, 1024)
    assert requests.get(url).content == download.content


@pytest.mark.parametrize("model", SPEC_MODELS)
def test_every_image_model_the_spec_names_draws(post, model):
    answer = generate(post, model=model)
    item = answer["data"][0]
    image = decoded(item) if model in GPT_IMAGE_MODELS else requests.get(item["url"]).content
    assert picture(image) == ("png", (1024, 1024))
    assert ("usage" in answer) == (model in GPT_IMAGE_MODELS)


@pytest.mark.parametrize(
    ("model", "size"),
    [
        ("dall-e-2", "256x256"),
        ("dall-e-2", "512x512"),
        ("dall-e-3", "1792x1024"),
        ("dall-e-3", "1024x1792"),
        ("gpt-image-1", "1536x1024"),
        ("gpt-image-1.5", "1024x1536"),
        ("gpt-image-2", "1536x864"),
        ("gpt-image-2", "3840x2160"),
        ("gpt-image-2-2026-04-21", "1024x3072"),
    ],
)
def test_images_have_the_requested_size(post, model, size):
    base64_answer = {} if model.startswith("gpt-image") else {"response_format": "b64_json"}
    answer = generate(post, model=model, size=size, **base64_answer)
    assert png_size(decoded(answer["data"][0])) == tuple(map(int, size.split("x")))


def test_a_gpt_image_2_answer_names_only_a_size_the_spec_lists(post):
    """The spec's ``ImagesResponse.size`` is one of the three standard sizes: a free size is left out."""
    assert "size" not in generate(post, model="gpt-image-2", size="1536x864")
    assert generate(post, model="gpt-image-2", size="1536x1024")["size"] == "1536x1024"


def test_urls_of_every_size_serve_that_size(post):
    url = generate(post, model="dall-e-3", size="1024x1792")["data"][0]["url"]
    assert png_size(requests.get(url).content) == (1024, 1792)


def test_n_gives_n_different_images_and_the_same_request_the_same_images(post):
    first = generate(post, n=3, size="256x256", response_format="b64_json")["data"]
    again = generate(post, n=3, size="256x256", response_format="b64_json")["data"]
    assert len(first) == 3 and len({item["b64_json"] for item in first}) == 3
    assert first == again
    other = generate(post, prompt="a blue whale", size="256x256", response_format="b64_json")["data"]
    assert other[0] != first[0]


def test_dall_e_3_revises_the_prompt(post):
    item = generate(post, model="dall-e-3", style="natural", quality="hd")["data"][0]
    assert "url" in item and item["revised_prompt"].startswith("a red fox in snow")
    assert "natural" in item["revised_prompt"]


def test_gpt_image_answers_base64_with_usage(post):
    answer = generate(post, model="gpt-image-1", quality="low")
    assert png_size(decoded(answer["data"][0])) == (1024, 1024)  # size "auto"
    assert "url" not in answer["data"][0]
    assert (answer["size"], answer["quality"], answer["output_format"], answer["background"]) == (
        "1024x1024",
        "low",
        "png",
        "opaque",
    )
    usage = answer["usage"]
    assert usage["output_tokens"] == 272 and usage["input_tokens_details"]["image_tokens"] == 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.parametrize("output_format", ["png", "jpeg", "webp"])
def test_images_come_in_the_output_format_asked_for(post, output_format):
    answer = generate(post, model="gpt-image-1.5", size="1536x1024", output_format=output_format)
    assert picture(decoded(answer["data"][0])) == (output_format, (1536, 1024))
    assert answer["output_format"] == output_format


def test_output_compression_compresses_a_jpeg(post):
    def jpeg(compression: int) -> bytes:
        return decoded(
            generate(post, model="gpt-image-1", output_format="jpeg", output_compression=compression)["data"][0]
        )

    assert len(jpeg(10)) < len(jpeg(90)) < len(jpeg(100))
    assert jpeg_size(jpeg(10)) == (1024, 1024)


@pytest.mark.parametrize("output_format", ["png", "webp"])
def test_a_transparent_background_has_an_alpha_channel(post, output_format):
    clear = generate(post, model="gpt-image-1", background="transparent", output_format=output_format)
    opaque = generate(post, model="gpt-image-1", background="auto", output_format=output_format)
    assert (clear["background"], opaque["background"]) == ("transparent", "opaque")
    clear_image, opaque_image = decoded(clear["data"][0]), decoded(opaque["data"][0])
    if output_format == "png":
        assert png_has_alpha(clear_image) and not png_has_alpha(opaque_image)
    else:
        assert clear_image[24] & 0x10 and not opaque_image[24] & 0x10  # VP8L's "alpha is used" bit


def test_without_a_model_an_option_of_the_gpt_image_models_picks_one(post):
    answer = generate(post, output_format="webp", moderation="low")
    assert picture(decoded(answer["data"][0]))[0] == "webp" and "usage" in answer
    assert "url" in generate(post)["data"][0]  # otherwise dall-e-2


def test_a_stream_sends_partial_images_then_the_final_one(post):
    body = {"prompt": "a fox", "model": "gpt-image-1.5", "stream": True, "partial_images": 2, "n": 2}
    response = post("/images/generations", json={**body, "output_format": "jpeg", "size": "1024x1536"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    kinds = ["partial_image", "partial_image", "completed"] * 2
    assert [name for name, _ in events] == [f"image_generation.{kind}" for kind in kinds]
    assert all(data["type"] == name for name, data in events)
    assert [data.get("partial_image_index") for _, data in events[:3]] == [0, 1, None]
    final = events[2][1]
    assert picture(base64.b64decode(final["b64_json"])) == ("jpeg", (1024, 1536))
    assert (final["size"], final["quality"], final["background"], final["output_format"]) == (
        "1024x1536", "auto", "auto", "jpeg",
    )  # fmt: skip
    assert final["usage"]["output_tokens"] > 0 and "[DONE]" not in response.text


def test_the_same_generation_without_stream_gives_the_final_images(post):
    body = {"prompt": "a fox", "model": "gpt-image-1", "n": 2}
    streamed = sse_events(post("/images/generations", json={**body, "stream": True}))
    whole = post("/images/generations", json=body).json()
    assert [data["b64_json"] for _, data in streamed] == [item["b64_json"] for item in whole["data"]]


def test_an_image_url_expires_after_an_hour(openai_emulator, post):
    url = generate(post, size="256x256")["data"][0]["url"]
    openai_emulator.advance_clock(3601)
    assert requests.get(url).status_code == 403
    assert requests.get(url.rsplit("/", 1)[0] + "/img-unknown.png").status_code == 404


GPT = {"model": "gpt-image-1"}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": None}, "prompt"),
        ({"prompt": "  "}, "prompt"),
        ({"prompt": "x" * 1001}, "prompt"),
        ({"model": "dall-e-3", "prompt": "x" * 4001}, "prompt"),
        ({**GPT, "prompt": "x" * 32001}, "prompt"),
        ({"n": 0}, "n"),
        ({"n": 11}, "n"),
        ({"n": 1.5}, "n"),
        ({"model": "dall-e-3", "n": 2}, "n"),
        ({"size": "300x300"}, "size"),
        ({"model": "dall-e-3", "size": "256x256"}, "size"),
        ({"model": "gpt-image-1.5", "size": "1536x864"}, "size"),  # a free size: gpt-image-2 only
        ({"model": "gpt-image-2", "size": "1000x1000"}, "size"),  # not multiples of 16
        ({"model": "gpt-image-2", "size": "3840x1024"}, "size"),  # wider than 3:1
        ({"model": "gpt-image-2", "size": "4096x2304"}, "size"),  # beyond 3840x2160
        ({"model": "gpt-image-2", "size": "big"}, "size"),
        ({"model": "dall-e-9"}, "model"),
        ({"quality": "hd"}, "quality"),
        ({"model": "dall-e-3", "quality": "high"}, "quality"),
        ({**GPT, "quality": "hd"}, "quality"),
        ({"style": "vivid"}, "style"),
        ({**GPT, "style": "vivid"}, "style"),
        ({"model": "dall-e-3", "style": "cartoon"}, "style"),
        ({"response_format": "gif"}, "response_format"),
        ({**GPT, "response_format": "url"}, "response_format"),
        ({**GPT, "response_format": "b64_json"}, "response_format"),
        ({**GPT, "output_format": "gif"}, "output_format"),
        ({"model": "dall-e-3", "output_format": "png"}, "output_format"),
        ({"model": "dall-e-2", "background": "opaque"}, "background"),
        ({"model": "dall-e-2", "moderation": "low"}, "moderation"),
        ({"model": "dall-e-3", "stream": True}, "stream"),
        ({**GPT, "background": "see-through"}, "background"),
        ({**GPT, "background": "transparent", "output_format": "jpeg"}, "background"),
        ({**GPT, "output_compression": 50}, "output_compression"),  # a PNG is not compressed
        ({**GPT, "output_format": "webp", "output_compression": 101}, "output_compression"),
        ({**GPT, "output_format": "jpeg", "output_compression": "high"}, "output_compression"),
        ({**GPT, "moderation": "strict"}, "moderation"),
        ({**GPT, "stream": True, "partial_images": 4}, "partial_images"),
        ({**GPT, "stream": "yes"}, "stream"),
        ({**GPT, "input_fidelity": "high"}, "input_fidelity"),  # edits only
    ],
)
def test_bad_generation_requests_get_a_400_naming_the_param(post, body, param):
    response = post("/images/generations", json={"prompt": "a fox", **body})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error"


# -- edits and variations ---------------------------------------------------------------


def test_a_dall_e_2_edit_with_a_mask(post):
    files = {"image": ("fox.png", SQUARE, "image/png"), "mask": ("mask.png", encode_png(64, 64, 9), "image/png")}
    data = {"prompt": "add a hat", "model": "dall-e-2", "n": "2", "size": "512x512"}
    answer = post("/images/edits", files=files, data=data).json()
    assert [png_size(requests.get(item["url"]).content) for item in answer["data"]] == [(512, 512)] * 2


def test_edits_depend_on_the_image(post):
    def edit(image: bytes) -> str:
        data = {"prompt": "add a hat", "model": "dall-e-2", "response_format": "b64_json", "size": "256x256"}
        return post("/images/edits", files={"image": ("a.png", image)}, data=data).json()["data"][0]["b64_json"]

    assert edit(SQUARE) == edit(SQUARE) != edit(encode_png(64, 64, 2))


def test_gpt_image_edits_take_several_images_of_any_shape_and_type(post):
    files = [
        ("image[]", ("a.png", encode_png(96, 64, 1))),
        ("image[]", ("b.jpg", encode_jpeg(40, 30, 2))),
        ("image[]", ("c.webp", encode_webp(30, 40, 3))),
    ]
    answer = post("/images/edits", files=files, data={"prompt": "merge them", "model": "gpt-image-1"}).json()
    assert png_size(decoded(answer["data"][0])) == (1024, 1024)
    assert answer["usage"]["input_tokens_details"]["image_tokens"] == 3 * 323


@pytest.mark.parametrize("model", GPT_IMAGE_MODELS)
def test_every_gpt_image_model_edits_with_its_options(post, model):
    data = {"prompt": "paint it", "model": model, "output_format": "webp", "background": "transparent"}
    if model != "gpt-image-1-mini":
        data["input_fidelity"] = "high"
    answer = post("/images/edits", files={"image": ("a.jpg", encode_jpeg(64, 64, 1))}, data=data).json()
    assert picture(decoded(answer["data"][0])) == ("webp", (1024, 1024))
    assert answer["background"] == "transparent"


def test_a_mask_must_match_a_jpeg_first_image_too(post):
    files = {"image": ("a.jpg", encode_jpeg(64, 48, 1)), "mask": ("m.png", encode_png(64, 64, 2))}
    response = post("/images/edits", files=files, data={"prompt": "x", "model": "gpt-image-1"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "mask"
    files["mask"] = ("m.png", encode_png(64, 48, 2))
    assert post("/images/edits", files=files, data={"prompt": "x", "model": "gpt-image-1"}).status_code == 200


def test_a_streamed_edit_sends_image_edit_events(post):
    data = {"prompt": "x", "model": "gpt-image-1.5", "stream": "true", "partial_images": "1"}
    events = sse_events(post("/images/edits", files={"image": ("a.png", SQUARE)}, data=data))
    assert [name for name, _ in events] == ["image_edit.partial_image", "image_edit.completed"]
    assert events[1][1]["usage"]["input_tokens_details"]["image_tokens"] == 323


def test_edits_default_to_the_specs_gpt_image_model(post):
    answer = post("/images/edits", files={"image": ("a.png", SQUARE)}, data={"prompt": "x"}).json()
    assert "b64_json" in answer["data"][0] and "usage" in answer


def test_a_variation(post):
    data = {"n": "2", "size": "256x256", "response_format": "b64_json"}
    answer = post("/images/variations", files={"image": ("a.png", SQUARE)}, data=data).json()
    assert [png_size(decoded(item)) for item in answer["data"]] == [(256, 256)] * 2


TOO_BIG = SQUARE + bytes(4 * 1024 * 1024)  # a valid header, then 4 MB more
NO_FILE = {"user": (None, "u1")}  # a plain field: the body is still multipart, but has no image
GPT_EDIT = {"prompt": "x", "model": "gpt-image-1"}


@pytest.mark.parametrize(
    ("files", "data", "param"),
    [
        (NO_FILE, {"prompt": "x", "model": "dall-e-2"}, "image"),
        ({"image": ("a.png", SQUARE)}, {"model": "dall-e-2"}, "prompt"),
        ({"image": ("a.jpg", encode_jpeg(64, 64, 1))}, {"prompt": "x", "model": "dall-e-2"}, "image"),
        ({"image": ("a.png", encode_png(64, 32, 1))}, {"prompt": "x", "model": "dall-e-2"}, "image"),
        ({"image": ("a.png", TOO_BIG)}, {"prompt": "x", "model": "dall-e-2"}, "image"),
        (
            {"image": ("a.png", SQUARE), "mask": ("m.png", encode_png(32, 32, 1))},
            {"prompt": "x", "model": "dall-e-2"},
            "mask",
        ),
        ({"image": ("a.png", SQUARE), "mask": ("m.png", b"not a png")}, {"prompt": "x", "model": "dall-e-2"}, "mask"),
        (
            [("image[]", ("a.png", SQUARE)), ("image[]", ("b.png", SQUARE))],
            {"prompt": "x", "model": "dall-e-2"},
            "image",
        ),
        ([("image[]", ("a.png", SQUARE))] * 17, GPT_EDIT, "image"),
        ({"image": ("a.gif", b"GIF89a" + bytes(64))}, GPT_EDIT, "image"),
        ({"image": ("a.jpg", b"\xff\xd8\xff\xe0" + bytes(64))}, GPT_EDIT, "image"),  # no frame header
        ({"image": ("a.png", SQUARE)}, {"prompt": "x", "model": "dall-e-3"}, "model"),
        ({"image": ("a.png", SQUARE)}, {"prompt": "x", "model": "dall-e-2", "n": "two"}, "n"),
        ({"image": ("a.png", SQUARE)}, {"prompt": "x", "model": "dall-e-2", "size": "1536x1024"}, "size"),
        ({"image": ("a.png", SQUARE)}, {"prompt": "x", "model": "dall-e-2", "output_format": "png"}, "output_format"),
        ({"image": ("a.png", SQUARE)}, {"prompt": "x", "model": "dall-e-2", "input_fidelity": "low"}, "input_fidelity"),
        ({"image": ("a.png", SQUARE)}, {**GPT_EDIT, "model": "gpt-image-1-mini", "input_fidelity": "high"},
         "input_fidelity"),
        ({"image": ("a.png", SQUARE)}, {**GPT_EDIT, "input_fidelity": "max"}, "input_fidelity"),
        ({"image": ("a.png", SQUARE)}, {**GPT_EDIT, "response_format": "b64_json"}, "response_format"),
        ({"image": ("a.png", SQUARE)}, {**GPT_EDIT, "size": "1792x1024"}, "size"),
        ({"image": ("a.png", SQUARE)}, {**GPT_EDIT, "output_compression": "80"}, "output_compression"),
    ],
)  # fmt: skip
def test_bad_edits_get_a_400_naming_the_param(post, files, data, param):
    response = post("/images/edits", files=files, data=data)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


@pytest.mark.parametrize(
    ("files", "data", "param"),
    [
        (NO_FILE, {}, "image"),
        ({"image": ("a.png", encode_png(64, 32, 1))}, {}, "image"),
        ({"image": ("a.png", b"not a png")}, {}, "image"),
        ({"image": ("a.png", TOO_BIG)}, {}, "image"),
        ({"image": ("a.png", SQUARE)}, {"model": "dall-e-3"}, "model"),
        ({"image": ("a.png", SQUARE)}, {"model": "gpt-image-1"}, "model"),
        ({"image": ("a.png", SQUARE)}, {"size": "1792x1024"}, "size"),
        ({"image": ("a.png", SQUARE)}, {"n": "11"}, "n"),
        ({"image": ("a.png", SQUARE)}, {"output_format": "webp"}, "output_format"),
    ],
)
def test_bad_variations_get_a_400_naming_the_param(post, files, data, param):
    response = post("/images/variations", files=files, data=data)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_image_downloads_are_journalled_apart_from_the_api(openai_emulator, post):
    """Downloads are recorded (so a test can check no key was sent) under their own path."""
    url = generate(post)["data"][0]["url"]
    openai_emulator.add_fault(status=500)  # faults apply to the API, not to the image host...
    assert requests.get(url).status_code == 200
    openai_emulator.add_fault(path="/_emulator/images/*", status=404, times=1)  # ...unless they name it
    assert requests.get(url).status_code == 404
    paths = [entry.path for entry in openai_emulator.requests]
    assert paths[0] == "/v1/images/generations" and paths[1].startswith("/_emulator/images/")
    assert [entry.status for entry in openai_emulator.requests[1:]] == [200, 404]
    assert "authorization" not in openai_emulator.requests[1].headers

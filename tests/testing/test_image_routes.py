"""The emulator's image endpoints over real HTTP: generations, edits, variations, image URLs."""

from __future__ import annotations

import base64

import pytest
import requests

from airflow_provider_openai_adv.testing.png import encode_png, png_size

SQUARE = encode_png(64, 64, 1)


def decoded(item: dict) -> bytes:
    return base64.b64decode(item["b64_json"])


def generate(post, **body):
    response = post("/images/generations", json={"prompt": "a red fox in snow", **body})
    assert response.status_code == 200, response.text
    return response.json()


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


@pytest.mark.parametrize(
    ("model", "size"),
    [
        ("dall-e-2", "256x256"),
        ("dall-e-2", "512x512"),
        ("dall-e-3", "1792x1024"),
        ("dall-e-3", "1024x1792"),
        ("gpt-image-1", "1536x1024"),
        ("gpt-image-1", "1024x1536"),
    ],
)
def test_images_have_the_requested_size(post, model, size):
    answer = generate(post, model=model, size=size, response_format="b64_json")
    assert png_size(decoded(answer["data"][0])) == tuple(map(int, size.split("x")))


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


def test_an_image_url_expires_after_an_hour(openai_emulator, post):
    url = generate(post, size="256x256")["data"][0]["url"]
    openai_emulator.advance_clock(3601)
    assert requests.get(url).status_code == 403
    assert requests.get(url.rsplit("/", 1)[0] + "/img-unknown.png").status_code == 404


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": None}, "prompt"),
        ({"prompt": "  "}, "prompt"),
        ({"prompt": "x" * 1001}, "prompt"),
        ({"n": 0}, "n"),
        ({"n": 11}, "n"),
        ({"n": 1.5}, "n"),
        ({"model": "dall-e-3", "n": 2}, "n"),
        ({"size": "300x300"}, "size"),
        ({"model": "dall-e-3", "size": "256x256"}, "size"),
        ({"model": "dall-e-9"}, "model"),
        ({"quality": "hd"}, "quality"),
        ({"style": "vivid"}, "style"),
        ({"model": "dall-e-3", "style": "cartoon"}, "style"),
        ({"response_format": "gif"}, "response_format"),
        ({"model": "gpt-image-1", "response_format": "url"}, "response_format"),
        ({"model": "gpt-image-1", "output_format": "jpeg"}, "output_format"),
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


def test_gpt_image_edits_take_several_images_of_any_shape(post):
    jpeg = b"\xff\xd8\xff\xe0" + bytes(64)
    files = [("image[]", ("a.png", encode_png(96, 64, 1))), ("image[]", ("b.jpg", jpeg))]
    answer = post("/images/edits", files=files, data={"prompt": "merge them", "model": "gpt-image-1"}).json()
    assert png_size(decoded(answer["data"][0])) == (1024, 1024)
    assert answer["usage"]["input_tokens_details"]["image_tokens"] == 2 * 323


def test_edits_default_to_the_specs_gpt_image_model(post):
    answer = post("/images/edits", files={"image": ("a.png", SQUARE)}, data={"prompt": "x"}).json()
    assert "b64_json" in answer["data"][0] and "usage" in answer


def test_a_variation(post):
    data = {"n": "2", "size": "256x256", "response_format": "b64_json"}
    answer = post("/images/variations", files={"image": ("a.png", SQUARE)}, data=data).json()
    assert [png_size(decoded(item)) for item in answer["data"]] == [(256, 256)] * 2


TOO_BIG = SQUARE + bytes(4 * 1024 * 1024)  # a valid header, then 4 MB more
NO_FILE = {"user": (None, "u1")}  # a plain field: the body is still multipart, but has no image


@pytest.mark.parametrize(
    ("files", "data", "param"),
    [
        (NO_FILE, {"prompt": "x", "model": "dall-e-2"}, "image"),
        ({"image": ("a.png", SQUARE)}, {"model": "dall-e-2"}, "prompt"),
        ({"image": ("a.jpg", b"\xff\xd8\xff\xe0" + bytes(64))}, {"prompt": "x", "model": "dall-e-2"}, "image"),
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
        ({"image": ("a.gif", b"GIF89a" + bytes(64))}, {"prompt": "x", "model": "gpt-image-1"}, "image"),
        ({"image": ("a.png", SQUARE)}, {"prompt": "x", "model": "dall-e-3"}, "model"),
        ({"image": ("a.png", SQUARE)}, {"prompt": "x", "model": "dall-e-2", "n": "two"}, "n"),
        ({"image": ("a.png", SQUARE)}, {"prompt": "x", "model": "dall-e-2", "size": "1536x1024"}, "size"),
    ],
)
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
        ({"image": ("a.png", SQUARE)}, {"size": "1792x1024"}, "size"),
        ({"image": ("a.png", SQUARE)}, {"n": "11"}, "n"),
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

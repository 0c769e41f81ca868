"""Image operators: files go to output_path, XCom keeps paths — executed as a worker would, on the emulator."""

from __future__ import annotations

import base64
import json

import pytest

from airflow_provider_openai_adv.exceptions import InvalidResponseError
from airflow_provider_openai_adv.operators import (
    OpenAICreateImageEditOperator,
    OpenAICreateImageOperator,
    OpenAICreateImageVariationOperator,
)
from airflow_provider_openai_adv.testing.jpeg import encode_jpeg, jpeg_size
from airflow_provider_openai_adv.testing.png import encode_png, png_size
from airflow_provider_openai_adv.testing.webp import encode_webp, webp_size
from tests.dag_runs import refused
from tests.tasks import run_task


@pytest.fixture
def square_png(tmp_path):
    path = tmp_path / "input.png"
    path.write_bytes(encode_png(256, 256, seed=1))
    return path


def test_generate_b64_images_into_a_folder(openai_emulator, tmp_path):
    result = run_task(
        OpenAICreateImageOperator(
            task_id="draw", prompt="A lighthouse at {{ ds }}", model="dall-e-2", n=2, size="256x256",
            response_format="b64_json", output_path=str(tmp_path / "out"),
        )
    ).value  # fmt: skip
    sent = openai_emulator.requests[-1].json()
    assert sent["prompt"].startswith("A lighthouse at 20") and sent["n"] == 2 and sent["size"] == "256x256"
    paths = [image["path"] for image in result["data"]]
    assert paths == [str(tmp_path / "out" / f"draw-{index}.png") for index in range(2)]
    assert all("b64_json" not in image for image in result["data"])  # no image bytes in XCom
    assert [png_size((tmp_path / "out" / f"draw-{index}.png").read_bytes()) for index in range(2)] == [(256, 256)] * 2


def test_url_images_are_downloaded_without_the_api_key(openai_emulator, tmp_path):
    task = OpenAICreateImageOperator(task_id="draw", prompt="A fox", size="512x512", output_path=str(tmp_path))
    image = run_task(task).value["data"][0]
    assert image["url"].startswith("http://127.0.0.1:")
    assert png_size((tmp_path / "draw-0.png").read_bytes()) == (512, 512)
    download = openai_emulator.requests[-1]
    assert download.method == "GET" and "authorization" not in download.headers


def test_url_images_without_output_path_stay_urls(openai_emulator):
    task = OpenAICreateImageOperator(task_id="draw", prompt="A fox", model="dall-e-3", quality="hd", style="natural")
    image = run_task(task).value["data"][0]
    assert image["url"] and "path" not in image
    assert openai_emulator.requests[-1].json() == {
        "prompt": "A fox",
        "model": "dall-e-3",
        "quality": "hd",
        "style": "natural",
    }


def test_edit_uploads_image_and_mask(openai_emulator, tmp_path, square_png):
    mask = tmp_path / "mask.png"
    mask.write_bytes(encode_png(256, 256, seed=2))
    result = run_task(
        OpenAICreateImageEditOperator(
            task_id="edit", image=str(square_png), mask=str(mask), prompt="Add a moon", size="256x256",
            response_format="b64_json", output_path=str(tmp_path / "edits"),
        )
    ).value  # fmt: skip
    request = openai_emulator.requests[-1]
    assert request.path == "/v1/images/edits"
    assert request.form == {
        "prompt": ["Add a moon"], "model": ["dall-e-2"], "size": ["256x256"], "response_format": ["b64_json"]
    }  # the model is always sent: the API's own default changed  # fmt: skip
    assert request.files["image"][0]["filename"] == "input.png" and request.files["mask"][0]["filename"] == "mask.png"
    assert png_size((tmp_path / "edits" / "edit-0.png").read_bytes()) == (256, 256)
    assert result["data"][0]["path"].endswith("edit-0.png")


def test_variation_of_a_square_png(openai_emulator, tmp_path, square_png):
    result = run_task(
        OpenAICreateImageVariationOperator(
            task_id="vary",
            image=str(square_png),
            n=3,
            size="256x256",
            response_format="b64_json",
            output_path=str(tmp_path),
        )
    ).value
    assert openai_emulator.requests[-1].form["n"] == ["3"]
    assert [image["path"] for image in result["data"]] == [str(tmp_path / f"vary-{i}.png") for i in range(3)]


@pytest.mark.parametrize(("output_format", "size_of"), [("jpeg", jpeg_size), ("webp", webp_size), (None, png_size)])
def test_gpt_image_files_are_named_after_their_output_format(openai_emulator, tmp_path, output_format, size_of):
    result = run_task(
        OpenAICreateImageOperator(
            task_id="draw", prompt="A lighthouse", model="gpt-image-2", size="1536x864", quality="low",
            output_format=output_format, output_path=str(tmp_path),
        )
    ).value  # fmt: skip
    written = tmp_path / f"draw-0.{output_format or 'png'}"
    assert result["data"] == [{"path": str(written)}]
    assert size_of(written.read_bytes()) == (1536, 864)
    assert result["usage"]["output_tokens"] > 0


def test_gpt_image_options_are_sent_as_given(openai_emulator, tmp_path):
    run_task(
        OpenAICreateImageOperator(
            task_id="draw", prompt="A logo", model="gpt-image-1.5", background="transparent", output_format="webp",
            output_compression=80, moderation="low", quality="high", n=2, output_path=str(tmp_path),
        )
    )  # fmt: skip
    assert openai_emulator.requests[-1].json() == {
        "prompt": "A logo", "model": "gpt-image-1.5", "background": "transparent", "output_format": "webp",
        "output_compression": 80, "moderation": "low", "quality": "high", "n": 2,
    }  # fmt: skip
    assert sorted(path.name for path in tmp_path.iterdir()) == ["draw-0.webp", "draw-1.webp"]


def test_an_edit_of_several_images_of_any_type(openai_emulator, tmp_path):
    inputs = {"a.png": encode_png(64, 64, 1), "b.jpg": encode_jpeg(48, 32, 2), "c.webp": encode_webp(32, 48, 3)}
    for name, data in inputs.items():
        (tmp_path / name).write_bytes(data)
    result = run_task(
        OpenAICreateImageEditOperator(
            task_id="edit", image=[str(tmp_path / name) for name in inputs], prompt="Put them in a basket",
            model="gpt-image-1.5", input_fidelity="high", output_format="jpeg", size="1024x1536",
            output_path=str(tmp_path / "out"),
        )
    ).value  # fmt: skip
    request = openai_emulator.requests[-1]
    assert [part["filename"] for part in request.files["image[]"]] == list(inputs)
    assert request.form["input_fidelity"] == ["high"] and request.form["output_format"] == ["jpeg"]
    assert jpeg_size((tmp_path / "out" / "edit-0.jpeg").read_bytes()) == (1024, 1536)
    assert result["usage"]["input_tokens_details"]["image_tokens"] == 3 * 323


def test_mapped_prompts_never_overwrite_each_other(make_dag, run_dag, openai_emulator, tmp_path):
    with make_dag() as dag:
        OpenAICreateImageOperator.partial(
            task_id="draw", size="256x256", response_format="b64_json", output_path=str(tmp_path)
        ).expand(prompt=["a cat", "a dog"])
    outcome = run_dag(dag)
    assert [value["data"][0]["path"] for value in outcome.mapped_values("draw")] == [
        str(tmp_path / "draw-0-0.png"),
        str(tmp_path / "draw-1-0.png"),
    ]


def test_several_images_appear_together_or_not_at_all(openai_emulator, tmp_path):
    good = base64.b64encode(encode_png(8, 8, seed=4)).decode()
    answer = {"created": 1, "data": [{"b64_json": good}, {"b64_json": "not base64!"}]}
    openai_emulator.add_fault(path="/v1/images/generations", status=200, body=json.dumps(answer))
    task = OpenAICreateImageOperator(
        task_id="draw", prompt="x", n=2, size="256x256", response_format="b64_json", output_path=str(tmp_path / "out")
    )
    with pytest.raises(InvalidResponseError, match="not valid base64"):
        run_task(task)
    assert list((tmp_path / "out").iterdir()) == []  # the first image is not left behind, nor the staging folder


@pytest.fixture
def not_square_png(tmp_path):
    path = tmp_path / "wide.png"
    path.write_bytes(encode_png(64, 32, seed=3))
    return path


@pytest.fixture
def not_a_png(tmp_path):
    path = tmp_path / "fake.png"
    path.write_bytes(base64.b64decode("R0lGODlhAQABAAAAACw="))  # a GIF
    return path


GPT_IMAGE = {"model": "gpt-image-1", "output_path": "OUT"}  # its answers need a folder


@pytest.mark.parametrize(
    ("operator", "arguments", "named"),
    [
        (OpenAICreateImageOperator, {"prompt": ""}, "prompt"),
        (OpenAICreateImageOperator, {"prompt": "x", "size": "100x100"}, "size"),
        (OpenAICreateImageOperator, {"prompt": "x", "model": "dall-e-3", "size": "256x256"}, "size"),
        (OpenAICreateImageOperator, {"prompt": "x", "n": 11}, "n"),
        (OpenAICreateImageOperator, {"prompt": "x", "model": "dall-e-3", "n": 2}, "n"),
        (OpenAICreateImageOperator, {"prompt": "x", "response_format": "b64_json"}, "output_path"),
        (OpenAICreateImageOperator, {"prompt": "x", "model": "gpt-image-1"}, "output_path"),
        (OpenAICreateImageOperator, {"prompt": "x", "output_format": "png"}, "output_path"),  # a GPT image model
        (OpenAICreateImageOperator, {"prompt": "x", "model": "dall-e-3", "background": "opaque"}, "background"),
        (OpenAICreateImageOperator, {**GPT_IMAGE, "prompt": "x", "style": "vivid"}, "style"),
        (OpenAICreateImageOperator, {**GPT_IMAGE, "prompt": "x", "model": "gpt-image-1.5", "size": "1536x864"}, "size"),
        (OpenAICreateImageEditOperator, {"image": "SQUARE", "prompt": "x", "model": "dall-e-3"}, "model"),
        (OpenAICreateImageEditOperator, {"image": "SQUARE", "prompt": "x", "input_fidelity": "high"}, "input_fidelity"),
        (OpenAICreateImageEditOperator, {**GPT_IMAGE, "image": "NOT_A_PNG", "prompt": "x"}, "image"),
        (OpenAICreateImageVariationOperator, {**GPT_IMAGE, "image": "SQUARE"}, "model"),
        (OpenAICreateImageOperator, {"prompt": "x", "output_path": " "}, "output_path"),
        (OpenAICreateImageEditOperator, {"image": "/no/such.png", "prompt": "x"}, "image"),
        (OpenAICreateImageEditOperator, {"image": "NOT_SQUARE", "prompt": "x"}, "image"),
        (OpenAICreateImageEditOperator, {"image": "SQUARE", "mask": "NOT_SQUARE", "prompt": "x"}, "mask"),
        (OpenAICreateImageVariationOperator, {"image": "NOT_A_PNG"}, "image"),
        (OpenAICreateImageVariationOperator, {"image": "SQUARE", "n": 0}, "n"),
    ],
)
def test_bad_input_fails_naming_the_argument_before_any_request(
    openai_emulator, tmp_path, operator, arguments, named, square_png, not_square_png, not_a_png
):
    files = {"SQUARE": str(square_png), "NOT_SQUARE": str(not_square_png), "NOT_A_PNG": str(not_a_png)}
    files["OUT"] = str(tmp_path / "out")
    arguments = {key: files.get(value, value) if isinstance(value, str) else value for key, value in arguments.items()}
    with refused(named):
        run_task(operator(task_id="bad", **arguments))
    assert openai_emulator.requests == []

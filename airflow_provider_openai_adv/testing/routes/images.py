"""``/v1/images``: generations (JSON), edits and variations (multipart).

Pictures come from :mod:`...pictures` — PNG, JPEG or WebP as ``output_format`` asks, a
transparent background clearing the top and bottom bands — seeded by the prompt, the
model, the image's index and, for edits and variations, the uploaded images: the same
request draws the same pictures. A ``url`` answer points at ``/_emulator/images/<id>.png``
on this server (a public route: like OpenAI's signed blob URLs, it needs no key), which
expires 60 minutes (emulator clock) later.

Each model has its sizes, qualities, prompt length and ``n``; the options only the GPT
image models take (``background``, ``moderation``, ``output_format``,
``output_compression``, ``input_fidelity``, ``stream``, ``partial_images``) get a 400
naming them from a DALL·E model, as do the combinations the spec rules out. Without a
model, a generation uses dall-e-2, or gpt-image-1.5 when an option only the GPT image
models take is given. The GPT image models always answer ``b64_json``, with ``usage`` and
the ``background``, ``output_format``, ``quality`` and ``size`` used (``size`` only when
the spec's answer can name it: a standard size); with ``stream`` they send
``partial_images`` partial pictures and then the final one of each image, as named
server-sent events.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.http import (
    APIError,
    Form,
    Request,
    Response,
    UploadedFile,
    invalid,
    json_response,
    not_found,
)
from airflow_provider_openai_adv.testing.jpeg import encode_jpeg, jpeg_size
from airflow_provider_openai_adv.testing.png import encode_png, png_size
from airflow_provider_openai_adv.testing.routes.common import (
    check_choice,
    check_range,
    form_number,
    require,
    sse_response,
    upload_digest,
)
from airflow_provider_openai_adv.testing.routing import Route
from airflow_provider_openai_adv.testing.state import EmulatorState, Store, new_id
from airflow_provider_openai_adv.testing.webp import encode_webp, webp_size

DALL_E_2, DALL_E_3 = "dall-e-2", "dall-e-3"
FREE_SIZE_MODELS = ("gpt-image-2", "gpt-image-2-2026-04-21")
GPT_IMAGE_MODELS = ("gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", *FREE_SIZE_MODELS, "chatgpt-image-latest")
GPT_DEFAULT_MODEL = "gpt-image-1.5"  # the spec's default for /images/edits
# Taken by the GPT image models only; given one of the first four without a model, a generation uses one.
GPT_ONLY_IN_GENERATIONS = ("background", "moderation", "output_format", "output_compression")
GPT_ONLY = (*GPT_ONLY_IN_GENERATIONS, "input_fidelity", "stream", "partial_images")
STANDARD_SIZES = ("1024x1024", "1536x1024", "1024x1536")  # the sizes an answer's ``size`` can name
URL_LIFETIME = 3600
DALL_E_MAX_BYTES = 4 * 1024 * 1024
GPT_MAX_BYTES = 50 * 1024 * 1024
GPT_MAX_IMAGES = 16
FREE_SIZE_STEP, FREE_SIZE_RATIO, FREE_SIZE_MAX = 16, 3, (3840, 2160)
INPUT_IMAGE_TOKENS = 323  # a flat cost per input image (OpenAI's varies with size and fidelity)
# Output image tokens of a 1024x1024 picture, by quality; other sizes scale with their area.
SQUARE_IMAGE_TOKENS = {"low": 272, "medium": 1056, "high": 4160}


@dataclass(frozen=True)
class ModelRules:
    sizes: tuple[str, ...]
    qualities: tuple[str, ...]
    max_prompt: int
    max_n: int = 10
    gpt: bool = False  # takes the GPT image options, answers b64_json with usage
    free_sizes: bool = False  # also any WIDTHxHEIGHT within FREE_SIZE_* (gpt-image-2)
    input_fidelity: bool = False


_GPT_RULES = ModelRules((*STANDARD_SIZES, "auto"), ("low", "medium", "high", "auto"), 32000, gpt=True)
RULES = {
    DALL_E_2: ModelRules(("256x256", "512x512", "1024x1024"), ("standard", "auto"), 1000),
    DALL_E_3: ModelRules(("1024x1024", "1792x1024", "1024x1792"), ("standard", "hd", "auto"), 4000, max_n=1),
    **dict.fromkeys(GPT_IMAGE_MODELS, replace(_GPT_RULES, input_fidelity=True)),
    "gpt-image-1-mini": _GPT_RULES,
    **dict.fromkeys(FREE_SIZE_MODELS, replace(_GPT_RULES, input_fidelity=True, free_sizes=True)),
}
EDIT_MODELS = (DALL_E_2, *GPT_IMAGE_MODELS)


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    seed: int
    created: int


@dataclass(frozen=True)
class Output:
    """How the pictures of one answer are drawn, and the settings it reports."""

    size: str  # as asked: a size, or "auto"
    width: int
    height: int
    quality: str = "auto"
    output_format: str = "png"
    background: str = "auto"
    compression: int = 100

    def draw(self, seed: int) -> bytes:
        transparent = self.background == "transparent"
        if self.output_format == "jpeg":
            return encode_jpeg(self.width, self.height, seed, quality=self.compression)
        if self.output_format == "webp":
            return encode_webp(self.width, self.height, seed, transparent=transparent)
        return encode_png(self.width, self.height, seed, transparent=transparent)

    def encoded(self, seed: int) -> str:
        """The picture in base64, as an answer carries it."""
        return base64.b64encode(self.draw(seed)).decode("ascii")

    @property
    def used_quality(self) -> str:
        return "high" if self.quality == "auto" else self.quality

    def reported(self) -> dict[str, str]:
        """What a GPT image answer says it used; ``size`` only when the spec's answer can name it."""
        size = f"{self.width}x{self.height}"
        return {
            "background": "transparent" if self.background == "transparent" else "opaque",
            "output_format": self.output_format,
            "quality": self.used_quality,
            **({"size": size} if size in STANDARD_SIZES else {}),
        }


class ImageStore(Store):
    """The pictures behind ``url`` answers: a recipe each, drawn again when fetched."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.pictures: dict[str, Picture] = {}

    def url(self, request: Request, picture: Picture) -> str:
        image_id = new_id("img")
        self.pictures[image_id] = picture
        host = request.headers.get("host", "127.0.0.1")
        return f"{request.scheme}://{host}/_emulator/images/{image_id}.png"


def download_image(request: Request) -> Response:
    """A generated image, behind a URL an answer handed out."""
    picture = request.state.store(ImageStore).pictures.get(request.path_params["name"].removesuffix(".png"))
    if picture is None:
        raise not_found("No such image.")
    if request.state.now() - picture.created > URL_LIFETIME:
        raise APIError(403, "This image URL has expired: image URLs are valid for 60 minutes.")
    return Response(encode_png(picture.width, picture.height, picture.seed), content_type="image/png")


def create_image(request: Request) -> Response:
    body = request.json()
    gpt_only = any(body.get(name) is not None for name in GPT_ONLY_IN_GENERATIONS)
    model = _model(body, GPT_DEFAULT_MODEL if gpt_only else DALL_E_2, RULES)
    if body.get("input_fidelity") is not None:
        raise invalid("Unknown parameter: 'input_fidelity'.", param="input_fidelity", code="unknown_parameter")
    return _images(request, body, model, _prompt(body, model))


def create_image_edit(request: Request) -> Response:
    form = request.require_form()
    body = _form_body(form)
    model = _model(body, GPT_DEFAULT_MODEL, EDIT_MODELS)
    prompt = _prompt(body, model)
    digests = [upload_digest(upload) for upload in _edited_images(form, model)]
    return _images(request, body, model, prompt, *digests, input_images=len(digests), events="image_edit")


def _edited_images(form: Form, model: str) -> list[UploadedFile]:
    """The images to edit, as the model takes them, and the mask (of the first image's size) checked."""
    images = form.all_files("image")
    if not images:
        raise invalid("Missing required parameter: 'image'.", param="image", code="missing_required_parameter")
    if model == DALL_E_2:
        if len(images) > 1:
            raise invalid("dall-e-2 edits take exactly one image.", param="image")
        size = _png(images[0], "image", square=True)
    else:
        if len(images) > GPT_MAX_IMAGES:
            raise invalid(f"At most {GPT_MAX_IMAGES} images can be edited at once.", param="image")
        size = [_gpt_input(image) for image in images][0]
    mask = form.file("mask")
    mask_size = size if mask is None else _png(mask, "mask", square=False)
    if mask_size != size:
        raise invalid(
            f"Invalid 'mask': its size {_dimensions(mask_size)} must match the image's, {_dimensions(size)}.",
            param="mask",
        )
    return images


def create_image_variation(request: Request) -> Response:
    form = request.require_form()
    body = _form_body(form)
    model = _model(body, DALL_E_2, [DALL_E_2])
    image = form.file("image")
    if image is None:
        raise invalid("Missing required parameter: 'image'.", param="image", code="missing_required_parameter")
    _png(image, "image", square=True)
    return _images(request, body, model, "", upload_digest(image))


def _form_body(form: Form) -> dict[str, Any]:
    """A multipart request's fields, typed as a JSON body would be."""
    texts = ("prompt", "model", "size", "quality", "response_format", "style", "background", "output_format")
    body: dict[str, Any] = {name: form.get(name) for name in (*texts, "moderation", "input_fidelity")}
    for name in ("n", "output_compression", "partial_images"):
        body[name] = form_number(form, name, int)
    stream = form.get("stream")
    body["stream"] = None if stream is None else stream.lower() == "true"
    return body


def _model(body: dict[str, Any], default: str, allowed: Iterable[str]) -> str:
    model = body.get("model") or default
    check_choice(model, "model", allowed)
    return model


def _prompt(body: dict[str, Any], model: str) -> str:
    prompt = require(body, "prompt")
    if not prompt.strip():
        raise invalid("Invalid 'prompt': it must not be empty.", param="prompt", code="empty_string")
    limit = RULES[model].max_prompt
    if len(prompt) > limit:
        raise invalid(
            f"Invalid 'prompt': string too long. Expected a string with maximum length {limit} for {model}, "
            f"but got a string with length {len(prompt)} instead.",
            param="prompt",
            code="string_above_max_length",
        )
    return prompt


def _png(upload: UploadedFile, param: str, *, square: bool) -> tuple[int, int]:
    """The size of a PNG upload that must be under 4 MB (dall-e-2 images, masks)."""
    if upload.size >= DALL_E_MAX_BYTES:
        raise invalid(f"Invalid '{param}': it must be less than 4 MB, got {upload.size} bytes.", param=param)
    size = _picture_size(upload, param, png_size, "a valid PNG file")
    if square and size[0] != size[1]:
        raise invalid(f"Invalid '{param}': the image must be square, got {_dimensions(size)}.", param=param)
    return size


def _gpt_input(upload: UploadedFile) -> tuple[int, int]:
    """The size of an input image of a GPT image model: PNG, JPEG or WebP under 50 MB."""
    if upload.size >= GPT_MAX_BYTES:
        raise invalid(f"Invalid 'image': it must be less than 50 MB, got {upload.size} bytes.", param="image")
    return _picture_size(upload, "image", _any_picture_size, "a PNG, JPEG or WebP image")


def _any_picture_size(data: bytes) -> tuple[int, int]:
    for reader in (png_size, jpeg_size, webp_size):
        try:
            return reader(data)
        except ValueError:
            continue
    raise ValueError("not a PNG, JPEG or WebP image")


def _picture_size(
    upload: UploadedFile, param: str, reader: Callable[[bytes], tuple[int, int]], expected: str
) -> tuple[int, int]:
    try:
        return reader(upload.path.read_bytes())
    except ValueError:
        raise invalid(
            f"Invalid '{param}': '{upload.filename}' is not {expected}.", param=param, code="invalid_image_format"
        ) from None


def _dimensions(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _images(
    request: Request,
    body: dict[str, Any],
    model: str,
    prompt: str,
    *seed: str,
    input_images: int = 0,
    events: str = "image_generation",
) -> Response:
    """The answer of every image endpoint, once its own inputs are checked."""
    rules = RULES[model]
    for name in GPT_ONLY:
        if body.get(name) not in (None, False) and not rules.gpt:
            raise invalid(f"'{name}' is only supported for the GPT image models, not {model}.", param=name)
    if body.get("input_fidelity") is not None and not rules.input_fidelity:
        raise invalid(f"'input_fidelity' is not supported for {model}.", param="input_fidelity")
    check_choice(body.get("input_fidelity"), "input_fidelity", ["high", "low"])
    n = _integer(body, "n", 1, rules.max_n, default=1)
    output = _output(body, rules)
    response_format = _response_format(body, rules)
    style = body.get("style")
    if style is not None and model != DALL_E_3:
        raise invalid("'style' is only supported for dall-e-3.", param="style")
    check_choice(style, "style", ["vivid", "natural"])
    partials = _integer(body, "partial_images", 0, 3, default=0)
    if not isinstance(body.get("stream") or False, bool):
        raise invalid("Invalid type for 'stream': expected a boolean.", param="stream", code="invalid_type")
    created = request.state.now()
    seeds = [synth.stable_int(model, prompt, *seed, index) for index in range(n)]
    if body.get("stream"):
        usage = _usage(prompt, input_images, output, 1, details=False)
        return _stream(output, seeds, created, partials, usage, events)
    data = []
    for picture_seed in seeds:
        if response_format == "url":
            picture = Picture(output.width, output.height, picture_seed, created)
            item = {"url": request.state.store(ImageStore).url(request, picture)}
        else:
            item = {"b64_json": output.encoded(picture_seed)}
        if model == DALL_E_3:
            look = "a natural, realistic" if style == "natural" else "a vivid, dramatic"
            item["revised_prompt"] = f"{prompt.strip()}, rendered in {look} style."
        data.append(item)
    answer: dict[str, Any] = {"created": created, "data": data}
    if rules.gpt:
        answer |= {**output.reported(), "usage": _usage(prompt, input_images, output, n, details=True)}
    return json_response(answer)


def _integer(body: dict[str, Any], name: str, low: int, high: int, *, default: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid(f"Invalid type for '{name}': expected an integer.", param=name, code="invalid_type")
    check_range(body, name, low, high)
    return value


def _output(body: dict[str, Any], rules: ModelRules) -> Output:
    """The size, quality, format, background and compression asked for, checked."""
    size = body.get("size") or ("auto" if rules.gpt else "1024x1024")
    if rules.free_sizes and size != "auto":
        _check_free_size(size)
    else:
        check_choice(size, "size", rules.sizes)
    width, height = (1024, 1024) if size == "auto" else map(int, size.split("x"))
    quality = body.get("quality") or "auto"
    check_choice(quality, "quality", rules.qualities)
    output_format = body.get("output_format") or "png"
    check_choice(output_format, "output_format", ["png", "jpeg", "webp"])
    compression = _integer(body, "output_compression", 0, 100, default=100)
    if compression < 100 and output_format == "png":
        raise invalid("Compression less than 100 is not supported for PNG output format.", param="output_compression")
    background = body.get("background") or "auto"
    check_choice(background, "background", ["transparent", "opaque", "auto"])
    if background == "transparent" and output_format == "jpeg":
        raise invalid("Transparent background requires the png or webp output format.", param="background")
    check_choice(body.get("moderation"), "moderation", ["low", "auto"])
    return Output(size, width, height, quality, output_format, background, compression)


def _check_free_size(size: Any) -> None:
    """gpt-image-2's ``WIDTHxHEIGHT``: multiples of 16, from 1:3 to 3:1, at most 3840x2160."""
    match = re.fullmatch(r"(\d+)x(\d+)", size) if isinstance(size, str) else None
    width, height = (int(match[1]), int(match[2])) if match else (0, 0)
    long, short = max(width, height), min(width, height)
    if not (
        short > 0
        and width % FREE_SIZE_STEP == height % FREE_SIZE_STEP == 0
        and long <= FREE_SIZE_RATIO * short
        and long <= FREE_SIZE_MAX[0]
        and short <= FREE_SIZE_MAX[1]
    ):
        raise invalid(
            f"Invalid 'size': {size!r}. Expected 'auto' or WIDTHxHEIGHT with both sides multiples of "
            f"{FREE_SIZE_STEP}, an aspect ratio from 1:{FREE_SIZE_RATIO} to {FREE_SIZE_RATIO}:1, "
            f"at most {FREE_SIZE_MAX[0]}x{FREE_SIZE_MAX[1]}.",
            param="size",
            code="invalid_value",
        )


def _response_format(body: dict[str, Any], rules: ModelRules) -> str:
    response_format = body.get("response_format")
    if rules.gpt and response_format is not None:
        raise invalid("Unknown parameter: 'response_format'.", param="response_format", code="unknown_parameter")
    check_choice(response_format, "response_format", ["url", "b64_json"])
    return response_format or ("b64_json" if rules.gpt else "url")


def _stream(
    output: Output, seeds: list[int], created: int, partials: int, usage: dict[str, Any], events: str
) -> Response:
    """Each image as ``partials`` partial pictures, then the final one with its usage."""
    settings = {
        "created_at": created,
        "size": output.size,
        "quality": output.quality,
        "background": output.background,
        "output_format": output.output_format,
    }
    sent = []
    for seed in seeds:
        for index in range(partials):
            partial = output.encoded(synth.stable_int(seed, "partial", index))
            sent.append(
                {"type": f"{events}.partial_image", "b64_json": partial, **settings, "partial_image_index": index}
            )
        sent.append({"type": f"{events}.completed", "b64_json": output.encoded(seed), **settings, "usage": usage})
    return sse_response(sent, done=False, named=True)


def _usage(prompt: str, input_images: int, output: Output, images: int, *, details: bool) -> dict[str, Any]:
    """Token usage of ``images`` pictures: the prompt's text, the input images, the output's area."""
    text_tokens = synth.estimate_tokens(prompt)
    image_tokens = input_images * INPUT_IMAGE_TOKENS
    output_tokens = images * SQUARE_IMAGE_TOKENS[output.used_quality] * output.width * output.height // (1024 * 1024)
    usage: dict[str, Any] = {
        "input_tokens": text_tokens + image_tokens,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
        "output_tokens": output_tokens,
        "total_tokens": text_tokens + image_tokens + output_tokens,
    }
    if details:
        usage["output_tokens_details"] = {"image_tokens": output_tokens, "text_tokens": 0}
    return usage


ROUTES = (
    Route("POST", "/images/generations", create_image),
    Route("POST", "/images/edits", create_image_edit),
    Route("POST", "/images/variations", create_image_variation),
)
PUBLIC_ROUTES = (Route("GET", "/_emulator/images/{name}", download_image),)

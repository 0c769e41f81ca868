"""``/v1/images``: generations (JSON), edits and variations (multipart).

Pictures come from :mod:`..png`, seeded by the prompt, the model, the image's index and,
for edits and variations, the uploaded image: the same request draws the same pictures.
A ``url`` answer points at ``/_emulator/images/<id>.png`` on this server (a public route:
like OpenAI's signed blob URLs, it needs no key), which expires 60 minutes (emulator
clock) later.
The GPT image models always answer ``b64_json``, with ``usage``, as the spec says.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
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
from airflow_provider_openai_adv.testing.png import encode_png, png_size
from airflow_provider_openai_adv.testing.routes.common import (
    check_choice,
    check_range,
    form_number,
    require,
    upload_digest,
)
from airflow_provider_openai_adv.testing.routing import Route
from airflow_provider_openai_adv.testing.state import EmulatorState, Store, new_id

DALL_E_2, DALL_E_3 = "dall-e-2", "dall-e-3"
GPT_IMAGE_MODELS = ("gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5")
EDIT_DEFAULT_MODEL = "gpt-image-1.5"  # the current spec's default for /images/edits
URL_LIFETIME = 3600
DALL_E_MAX_BYTES = 4 * 1024 * 1024
GPT_MAX_BYTES = 50 * 1024 * 1024
GPT_MAX_IMAGES = 16
INPUT_IMAGE_TOKENS = 323  # a flat cost per input image (OpenAI's varies with size and fidelity)
# Output image tokens of a 1024x1024 picture, by quality; other sizes scale with their area.
SQUARE_IMAGE_TOKENS = {"low": 272, "medium": 1056, "high": 4160}
# GPT image options the emulator cannot honour: it draws opaque PNGs, in one piece.
ONLY_EMULATED = {"output_format": ("png",), "background": ("auto", "opaque"), "stream": (False,)}


@dataclass(frozen=True)
class ModelRules:
    sizes: tuple[str, ...]
    qualities: tuple[str, ...]
    max_prompt: int
    max_n: int = 10


_GPT_RULES = ModelRules(("1024x1024", "1536x1024", "1024x1536", "auto"), ("low", "medium", "high", "auto"), 32000)
RULES = {
    DALL_E_2: ModelRules(("256x256", "512x512", "1024x1024"), ("standard", "auto"), 1000),
    DALL_E_3: ModelRules(("1024x1024", "1792x1024", "1024x1792"), ("standard", "hd", "auto"), 4000, max_n=1),
    **dict.fromkeys(GPT_IMAGE_MODELS, _GPT_RULES),
}


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    seed: int
    created: int


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
    model = _model(body, DALL_E_2, RULES)
    return _images(request, body, model, _prompt(body, model))


def create_image_edit(request: Request) -> Response:
    form = request.require_form()
    body = _form_body(form)
    model = _model(body, EDIT_DEFAULT_MODEL, [DALL_E_2, *GPT_IMAGE_MODELS])
    prompt = _prompt(body, model)
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
        sizes = [_gpt_input(image) for image in images]
        size = sizes[0]  # a mask applies to the first image
    mask = form.file("mask")
    if mask is not None:
        mask_size = _png(mask, "mask", square=False)
        if size is not None and mask_size != size:
            raise invalid(
                f"Invalid 'mask': its size {_dimensions(mask_size)} must match the image's, {_dimensions(size)}.",
                param="mask",
            )
    digests = [upload_digest(upload) for upload in images]
    return _images(request, body, model, prompt, *digests, input_images=len(images))


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
    names = ("prompt", "model", "size", "quality", "response_format", "style", "background", "output_format")
    body: dict[str, Any] = {name: form.get(name) for name in names}
    body["n"] = form_number(form, "n", int)
    body["stream"] = form.get("stream", "false").lower() == "true"
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
    size = _png_size(upload, param, "a valid PNG file")
    if square and size[0] != size[1]:
        raise invalid(f"Invalid '{param}': the image must be square, got {_dimensions(size)}.", param=param)
    return size


def _gpt_input(upload: UploadedFile) -> tuple[int, int] | None:
    """Check an input image of a GPT image model: PNG, JPEG or WebP under 50 MB; its size if a PNG."""
    if upload.size >= GPT_MAX_BYTES:
        raise invalid(f"Invalid 'image': it must be less than 50 MB, got {upload.size} bytes.", param="image")
    with upload.path.open("rb") as handle:
        head = handle.read(12)
    if head.startswith(b"\xff\xd8\xff") or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return None
    return _png_size(upload, "image", "a PNG, JPEG or WebP image")


def _png_size(upload: UploadedFile, param: str, expected: str) -> tuple[int, int]:
    try:
        return png_size(upload.path)
    except ValueError:
        raise invalid(
            f"Invalid '{param}': '{upload.filename}' is not {expected}.", param=param, code="invalid_image_format"
        ) from None


def _dimensions(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _images(
    request: Request, body: dict[str, Any], model: str, prompt: str, *seed: str, input_images: int = 0
) -> Response:
    """The answer of every image endpoint, once its own inputs are checked."""
    rules = RULES[model]
    gpt = model in GPT_IMAGE_MODELS
    n = 1 if body.get("n") is None else body["n"]
    if not isinstance(n, int) or isinstance(n, bool):
        raise invalid("Invalid type for 'n': expected an integer.", param="n", code="invalid_type")
    check_range({"n": n}, "n", 1, rules.max_n)
    size = body.get("size") or "1024x1024"
    check_choice(size, "size", rules.sizes)
    quality = body.get("quality") or "auto"
    check_choice(quality, "quality", rules.qualities)
    response_format = body.get("response_format") or ("b64_json" if gpt else "url")
    check_choice(response_format, "response_format", ["b64_json"] if gpt else ["url", "b64_json"])
    style = body.get("style")
    if style is not None and model != DALL_E_3:
        raise invalid("'style' is only supported for dall-e-3.", param="style")
    check_choice(style, "style", ["vivid", "natural"])
    for name, allowed in ONLY_EMULATED.items():
        check_choice(body.get(name), name, allowed)
    width, height = map(int, ("1024x1024" if size == "auto" else size).split("x"))
    created = request.state.now()
    store = request.state.store(ImageStore)
    data = []
    for index in range(n):
        picture = Picture(width, height, synth.stable_int(model, prompt, *seed, index), created)
        if response_format == "url":
            item = {"url": store.url(request, picture)}
        else:
            item = {"b64_json": base64.b64encode(encode_png(width, height, picture.seed)).decode("ascii")}
        if model == DALL_E_3:
            look = "a natural, realistic" if style == "natural" else "a vivid, dramatic"
            item["revised_prompt"] = f"{prompt.strip()}, rendered in {look} style."
        data.append(item)
    answer: dict[str, Any] = {"created": created, "data": data}
    if gpt:
        quality = "high" if quality == "auto" else quality
        image_tokens = n * SQUARE_IMAGE_TOKENS[quality] * width * height // (1024 * 1024)
        text_tokens = synth.estimate_tokens(prompt)
        answer |= {"background": "opaque", "output_format": "png", "size": f"{width}x{height}", "quality": quality}
        answer["usage"] = {
            "input_tokens": text_tokens + input_images * INPUT_IMAGE_TOKENS,
            "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": input_images * INPUT_IMAGE_TOKENS},
            "output_tokens": image_tokens,
            "output_tokens_details": {"image_tokens": image_tokens, "text_tokens": 0},
            "total_tokens": text_tokens + input_images * INPUT_IMAGE_TOKENS + image_tokens,
        }
    return json_response(answer)


ROUTES = (
    Route("POST", "/images/generations", create_image),
    Route("POST", "/images/edits", create_image_edit),
    Route("POST", "/images/variations", create_image_variation),
)
PUBLIC_ROUTES = (Route("GET", "/_emulator/images/{name}", download_image),)

"""Images: generate, edit, and make variations.

Generated images are files, not XCom: with ``output_path`` every image is written there
(``b64_json`` answers decoded; ``url`` answers downloaded, without sending the API key
to the image host), named ``<task_id>[-<map_index>]-<n>.<output_format>`` (``png`` unless
``output_format`` asks for ``jpeg`` or ``webp``), and XCom holds the API's answer with a
``path`` per image instead of the image data. Without ``output_path``, only ``url``
answers are accepted: the GPT image models always answer ``b64_json``.

Each model takes its own parameters (``validation.check_image_request`` says which, from
OpenAI's specification); a combination the model refuses fails before any request.
Streamed images (``stream``, ``partial_images``) are refused: a task keeps the final
images only.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from airflow_provider_openai_adv.exceptions import InvalidResponseError
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import OpenAIAdvOutputOperator
from airflow_provider_openai_adv.validation import answers_in_base64


class _ImageOperator(OpenAIAdvOutputOperator):
    def call_api(self, arguments: dict[str, Any]) -> Any:
        if answers_in_base64(arguments.get("model"), arguments):
            self.require_output_path("to keep b64_json images out of XCom")
        return super().call_api(arguments)

    def to_xcom(self, result: Any, context: Any) -> Any:
        if not self.output_path:
            return result
        from airflow_provider_openai_adv.hooks.storage import OutputSet

        images = _images(result)
        extension = self.api_arguments().get("output_format") or "png"
        with OutputSet(self.output_path) as outputs:  # all images appear, or none
            for index, image in enumerate(images):
                target = outputs.target(self.output_name(context, f"-{index}.{extension}"))
                if isinstance(image.get("b64_json"), str):
                    _write_base64(target, image.pop("b64_json"))
                elif isinstance(image.get("url"), str):
                    self.hook.download_url(image["url"], target)
                else:
                    raise InvalidResponseError(f"image {index} of the answer has neither b64_json nor url")
        for image, path in zip(images, outputs.paths, strict=True):
            image["path"] = path
        self.log.info("Wrote %d image(s) to %s", len(images), self.output_path)
        return result


def _images(result: Any) -> list[dict[str, Any]]:
    """The answer's images, checked: an answer is hostile input like any other."""
    data = result.get("data") if isinstance(result, dict) else None
    if not isinstance(data, list) or not all(isinstance(image, dict) for image in data):
        raise InvalidResponseError(f"expected a list of images in 'data', got {type(data).__name__}")
    return data


def _write_base64(target: Any, encoded: str) -> None:
    from airflow_provider_openai_adv.hooks.storage import write_bytes

    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise InvalidResponseError(f"an image of the answer is not valid base64: {error}") from None
    write_bytes(target, data)


class OpenAICreateImageOperator(_ImageOperator):
    """Generate images from a prompt (``POST /images/generations``).

    :param prompt: what to draw (templated); at most 1,000 characters for ``dall-e-2``,
        4,000 for ``dall-e-3``, 32,000 for the GPT image models.
    :param model: ``dall-e-2`` (the API's default, unless a parameter only the GPT image
        models take is given), ``dall-e-3``, ``gpt-image-1``, ``gpt-image-1-mini``,
        ``gpt-image-1.5``, ``gpt-image-2``...
    :param n: 1 to 10 images (``dall-e-3``: 1).
    :param size: ``dall-e-2``: ``256x256``, ``512x512``, ``1024x1024``; ``dall-e-3``:
        ``1024x1024``, ``1792x1024``, ``1024x1792``; GPT image models: ``1024x1024``,
        ``1536x1024``, ``1024x1536``, ``auto``; ``gpt-image-2`` also any ``WIDTHxHEIGHT``
        (multiples of 16, 1:3 to 3:1, at most 3840x2160).
    :param quality: ``standard``/``hd`` (``dall-e-3``), ``standard`` (``dall-e-2``),
        ``low``/``medium``/``high`` (GPT image models); ``auto`` for any.
    :param response_format: ``url`` or ``b64_json``, DALL·E models only.
    :param style: ``vivid`` or ``natural``, ``dall-e-3`` only.
    :param background: ``transparent`` (with ``png`` or ``webp`` output), ``opaque`` or
        ``auto``; GPT image models only, as are ``moderation`` (``low``, ``auto``),
        ``output_format`` (``png``, ``jpeg``, ``webp``) and ``output_compression``
        (0-100; below 100 for ``jpeg`` and ``webp`` only).
    """

    hook_method = OpenAIAdvHook.create_image
    templated = ("prompt", "model", "user")

    def __init__(
        self,
        *,
        prompt: str,
        model: str | None = None,
        n: int | None = None,
        size: str | None = None,
        quality: str | None = None,
        response_format: str | None = None,
        style: str | None = None,
        background: str | None = None,
        moderation: str | None = None,
        output_format: str | None = None,
        output_compression: int | None = None,
        user: str | None = None,
        extra_body: dict[str, Any] | None = None,
        output_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)


class OpenAICreateImageEditOperator(_ImageOperator):
    """Edit an image as the prompt says (``POST /images/edits``, multipart).

    :param image: a path or object-storage URI, or a list of up to 16 of them for the GPT
        image models (PNG, WebP or JPEG files under 50 MB each); for ``dall-e-2`` one square
        PNG under 4 MB. Checked before upload.
    :param mask: a PNG under 4 MB of the (first) image's size, whose transparent pixels
        mark where to edit.
    :param model: ``dall-e-2`` when not given (sent: the API's own default has changed),
        or a GPT image model; ``dall-e-3`` does not edit.
    :param input_fidelity: ``high`` or ``low``; GPT image models but ``gpt-image-1-mini``.

    ``size``, ``quality``, ``background``, ``output_format`` and ``output_compression``
    as for :class:`OpenAICreateImageOperator`.
    """

    hook_method = OpenAIAdvHook.create_image_edit
    templated = ("image", "mask", "prompt", "model", "user")

    def __init__(
        self,
        *,
        image: str | list[str],
        prompt: str,
        mask: str | None = None,
        model: str | None = None,
        n: int | None = None,
        size: str | None = None,
        quality: str | None = None,
        response_format: str | None = None,
        background: str | None = None,
        input_fidelity: str | None = None,
        output_format: str | None = None,
        output_compression: int | None = None,
        user: str | None = None,
        extra_body: dict[str, Any] | None = None,
        output_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)


class OpenAICreateImageVariationOperator(_ImageOperator):
    """Variations of an image (``POST /images/variations``, DALL·E 2).

    :param image: a square PNG under 4 MB (path or object-storage URI), checked before upload.
    """

    hook_method = OpenAIAdvHook.create_image_variation
    templated = ("image", "model", "user")

    def __init__(
        self,
        *,
        image: str,
        model: str | None = None,
        n: int | None = None,
        size: str | None = None,
        response_format: str | None = None,
        user: str | None = None,
        extra_body: dict[str, Any] | None = None,
        output_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)

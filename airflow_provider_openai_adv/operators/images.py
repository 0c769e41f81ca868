"""Images: generate, edit, and make variations.

Generated images are files, not XCom: with ``output_path`` every image is written there
(``b64_json`` answers decoded; ``url`` answers downloaded, without sending the API key
to the image host) and XCom holds the API's answer with a ``path`` per image instead of
the image data. Without ``output_path``, only ``url`` answers are accepted.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from airflow_provider_openai_adv.exceptions import InvalidResponseError
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import OpenAIAdvOutputOperator


class _ImageOperator(OpenAIAdvOutputOperator):
    def call_api(self, arguments: dict[str, Any]) -> Any:
        model = str(arguments.get("model") or "")
        if arguments.get("response_format") == "b64_json" or model.startswith("gpt-image"):
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

    :param prompt: what to draw (templated).
    :param model: ``dall-e-2`` (the API's default), ``dall-e-3``, ``gpt-image-1``...
    :param size: per model, e.g. ``1024x1024``; checked for the known models.
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

    :param image: a PNG path or object-storage URI (a list of them for ``gpt-image-1``);
        for ``dall-e-2`` a square PNG under 4 MB, checked before upload.
    :param mask: a PNG of the same size whose transparent pixels mark where to edit.
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

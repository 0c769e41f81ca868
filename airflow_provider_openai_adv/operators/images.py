"""Images: generate, edit, and make variations.

Generated images are files, not XCom: with ``output_path`` every image is written there
(``b64_json`` answers decoded; ``url`` answers downloaded, without sending the API key
to the image host) and XCom holds the API's answer with a ``path`` per image instead of
the image data. Without ``output_path``, only ``url`` answers are accepted.
"""

from __future__ import annotations

import base64
from typing import Any

from airflow_provider_openai_adv.operators.base import OpenAIAdvOutputOperator, api_arguments


class _ImageOperator(OpenAIAdvOutputOperator):
    def call_api(self, params: dict[str, Any]) -> Any:
        model = str(params.get("model") or "")
        if params.get("response_format") == "b64_json" or model.startswith("gpt-image"):
            self.require_output_path("to keep b64_json images out of XCom")
        return super().call_api(params)

    def to_xcom(self, result: Any, context: Any) -> Any:
        if not self.output_path:
            return result
        from airflow_provider_openai_adv.hooks.storage import open_for_writing, write_bytes

        extension = self.argument("output_format") or "png"
        for index, image in enumerate(result.get("data") or []):
            target = self.output_file(context, f"-{index}.{extension}")
            if image.get("b64_json"):
                image["path"] = write_bytes(target, base64.b64decode(image.pop("b64_json")))
            elif image.get("url"):
                with open_for_writing(target) as destination:
                    self.hook.client.download_url(image["url"], destination)
                image["path"] = str(target)
        self.log.info("Wrote %d image(s) to %s", len(result.get("data") or []), self.output_path)
        return result


class OpenAICreateImageOperator(_ImageOperator):
    """Generate images from a prompt (``POST /images/generations``).

    :param prompt: what to draw (templated).
    :param model: ``dall-e-2`` (the API's default), ``dall-e-3``, ``gpt-image-1``...
    :param size: per model, e.g. ``1024x1024``; checked for the known models.
    """

    hook_method = "create_image"
    templated_params = ("prompt", "model", "user")

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
        super().__init__(api_params=api_arguments(locals()), output_path=output_path, **kwargs)


class OpenAICreateImageEditOperator(_ImageOperator):
    """Edit an image as the prompt says (``POST /images/edits``, multipart).

    :param image: a PNG path or object-storage URI (a list of them for ``gpt-image-1``);
        for ``dall-e-2`` a square PNG under 4 MB, checked before upload.
    :param mask: a PNG of the same size whose transparent pixels mark where to edit.
    """

    hook_method = "create_image_edit"
    templated_params = ("image", "mask", "prompt", "model", "user")

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
        super().__init__(api_params=api_arguments(locals()), output_path=output_path, **kwargs)


class OpenAICreateImageVariationOperator(_ImageOperator):
    """Variations of an image (``POST /images/variations``, DALL·E 2).

    :param image: a square PNG under 4 MB (path or object-storage URI), checked before upload.
    """

    hook_method = "create_image_variation"
    templated_params = ("image", "model", "user")

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
        super().__init__(api_params=api_arguments(locals()), output_path=output_path, **kwargs)

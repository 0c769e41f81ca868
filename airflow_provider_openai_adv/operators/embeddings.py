"""Embeddings: vectors for texts, inline when small, a JSONL file when not."""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_openai_adv.exceptions import InvalidResponseError
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import OpenAIAdvOutputOperator
from airflow_provider_openai_adv.validation import EMBEDDING_DIMENSIONS

INLINE_FLOATS = 4096  # about 80 KB of JSON: two 1536-dimension vectors fit in XCom, three do not


class OpenAICreateEmbeddingsOperator(OpenAIAdvOutputOperator):
    """Embed texts (``POST /embeddings``).

    Small results go to XCom whole. With ``output_path``, or when the result would be
    larger than two or so vectors (``output_path`` is then required, checked before the
    request), the vectors are written as JSON lines ``{"index", "embedding"}`` to
    ``<output_path>/<task_id>[-<map_index>].jsonl`` and XCom holds the path, the count,
    the dimensions and the usage.

    :param input: a text, a list of texts, or token arrays (templated).
    """

    hook_method = OpenAIAdvHook.create_embeddings
    templated = ("input", "model", "user")

    def __init__(
        self,
        *,
        input: str | list[Any],  # noqa: A002 - the API's name
        model: str,
        dimensions: int | None = None,
        encoding_format: str | None = None,
        user: str | None = None,
        extra_body: dict[str, Any] | None = None,
        output_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)

    def call_api(self, arguments: dict[str, Any]) -> Any:
        texts = arguments.get("input")
        one = isinstance(texts, str) or (isinstance(texts, (list, tuple)) and texts and isinstance(texts[0], int))
        count = 1 if one else len(texts) if isinstance(texts, (list, tuple)) else 0
        dimensions = arguments.get("dimensions") or EMBEDDING_DIMENSIONS.get(arguments.get("model"), 1536)
        if isinstance(dimensions, int) and count * dimensions > INLINE_FLOATS:
            self.require_output_path(f"for {count} embeddings of {dimensions} dimensions, too many for XCom")
        return super().call_api(arguments)

    def to_xcom(self, result: Any, context: Any) -> Any:
        if not self.output_path:
            return result
        from airflow_provider_openai_adv.hooks.storage import write_bytes

        data = result.get("data")
        if not isinstance(data, list) or not all(isinstance(item, dict) and "embedding" in item for item in data):
            raise InvalidResponseError("expected a list of embeddings in 'data'")
        lines = "".join(
            json.dumps({"index": item.get("index"), "embedding": item["embedding"]}) + "\n" for item in data
        )
        path = write_bytes(self.output_file(context, ".jsonl"), lines.encode())
        first = data[0]["embedding"] if data else []
        return {
            "object": "list",
            "model": result.get("model"),
            "usage": result.get("usage"),
            "count": len(data),
            "dimensions": len(first) if isinstance(first, list) else None,
            "path": path,
        }

"""Embeddings: vectors for texts, inline when small, a JSONL file when not."""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_openai_adv.operators.base import OpenAIAdvOutputOperator, api_arguments
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

    hook_method = "create_embeddings"
    templated_params = ("input", "model", "user")

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
        super().__init__(api_params=api_arguments(locals()), output_path=output_path, **kwargs)

    def call_api(self, params: dict[str, Any]) -> Any:
        texts = params.get("input")
        count = 1 if isinstance(texts, str) or (texts and isinstance(texts[0], int)) else len(texts or [])
        dimensions = params.get("dimensions") or EMBEDDING_DIMENSIONS.get(params.get("model"), 1536)
        if count * dimensions > INLINE_FLOATS:
            self.require_output_path(f"for {count} embeddings of {dimensions} dimensions, too many for XCom")
        return super().call_api(params)

    def to_xcom(self, result: Any, context: Any) -> Any:
        if not self.output_path:
            return result
        from airflow_provider_openai_adv.hooks.storage import write_bytes

        data = result.get("data") or []
        lines = "".join(json.dumps({"index": item["index"], "embedding": item["embedding"]}) + "\n" for item in data)
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

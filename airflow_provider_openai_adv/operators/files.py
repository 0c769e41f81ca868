"""Files: upload, list, retrieve, read and delete."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator, api_arguments


class OpenAIUploadFileOperator(OpenAIAdvBaseOperator):
    """Upload a file (``POST /files``), streamed from disk or object storage.

    :param file: a local path or an object-storage URI such as ``s3://bucket/train.jsonl`` (templated).
    :param purpose: ``fine-tune``, ``batch``, ``assistants``, ``vision``, ``user_data`` or ``evals``.
    :param filename: the name OpenAI records; the file's own name by default.
    :param expires_after: e.g. ``{"anchor": "created_at", "seconds": 86400}``.
    :param check_data: check a ``fine-tune`` file's examples before uploading it (default);
        bad data fails the task naming its lines, and nothing is uploaded.
    """

    hook_method = "upload_file"
    templated_params = ("file", "purpose", "filename")

    def __init__(
        self,
        *,
        file: str,
        purpose: str,
        filename: str | None = None,
        expires_after: dict[str, Any] | None = None,
        check_data: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)


class OpenAIListFilesOperator(OpenAIAdvBaseOperator):
    """List files (``GET /files``), every page unless ``limit`` asks for fewer."""

    hook_method = "list_files"
    templated_params = ("purpose",)

    def __init__(
        self, *, purpose: str | None = None, order: str | None = None, limit: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)


class OpenAIRetrieveFileOperator(OpenAIAdvBaseOperator):
    """A file's metadata (``GET /files/{file_id}``)."""

    hook_method = "retrieve_file"
    templated_params = ("file_id",)

    def __init__(self, *, file_id: str, **kwargs: Any) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)


class OpenAIDeleteFileOperator(OpenAIAdvBaseOperator):
    """Delete a file (``DELETE /files/{file_id}``)."""

    hook_method = "delete_file"
    templated_params = ("file_id",)

    def __init__(self, *, file_id: str, **kwargs: Any) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)


class OpenAIRetrieveFileContentOperator(OpenAIAdvBaseOperator):
    """Stream a file's content (``GET /files/{file_id}/content``) to ``output_path``.

    :param output_path: a local path or an object-storage URI (templated); a local file
        appears only once complete. XCom holds ``{"file_id", "path"}``, never the bytes.
    """

    hook_method = "retrieve_file_content"
    templated_params = ("file_id", "output_path")

    def __init__(self, *, file_id: str, output_path: str, **kwargs: Any) -> None:
        super().__init__(api_params={**api_arguments(locals()), "output_path": output_path}, **kwargs)

    def to_xcom(self, result: Any, context: Any) -> dict[str, Any]:
        return {"file_id": self.argument("file_id"), "path": result}

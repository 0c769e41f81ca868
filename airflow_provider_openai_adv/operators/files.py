"""Files: upload, list, retrieve, read and delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class OpenAIUploadFileOperator(OpenAIAdvBaseOperator):
    """Upload a file, streamed from disk or object storage: ``POST /files`` up to 512 MB,
    the Uploads API in 64 MB parts above (up to 8 GB) or with ``in_parts=True``.

    A retried task resumes an upload in parts where the last try stopped (on Airflow 3.3
    and later, through the task's state store), sending only the parts still missing.

    :param file: a local path or an object-storage URI such as ``s3://bucket/train.jsonl`` (templated).
    :param purpose: ``fine-tune``, ``batch``, ``assistants``, ``vision``, ``user_data`` or ``evals``.
    :param filename: the name OpenAI records; the file's own name by default.
    :param expires_after: e.g. ``{"anchor": "created_at", "seconds": 86400}``.
    :param check_data: check a ``fine-tune`` file's examples before uploading it (default);
        bad data fails the task naming its lines, and nothing is uploaded.
    :param in_parts: force (``True``) or forbid (``False``) the Uploads API; by size by default.
    """

    hook_method = OpenAIAdvHook.upload_file
    templated = ("file", "purpose", "filename")

    def __init__(
        self,
        *,
        file: str,
        purpose: str,
        filename: str | None = None,
        expires_after: dict[str, Any] | None = None,
        check_data: bool = True,
        in_parts: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)

    def execute(self, context: Context) -> Any:
        self.progress = context.get("task_state_store")  # None before Airflow 3.3: no resuming
        return super().execute(context)

    def call_api(self, arguments: dict[str, Any]) -> Any:
        return super().call_api({**arguments, "progress": self.progress})


class OpenAIListFilesOperator(OpenAIAdvBaseOperator):
    """List files (``GET /files``), every page unless ``limit`` asks for fewer."""

    hook_method = OpenAIAdvHook.list_files
    templated = ("purpose",)

    def __init__(
        self, *, purpose: str | None = None, order: str | None = None, limit: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)


class OpenAIRetrieveFileOperator(OpenAIAdvBaseOperator):
    """A file's metadata (``GET /files/{file_id}``)."""

    hook_method = OpenAIAdvHook.retrieve_file
    templated = ("file_id",)

    def __init__(self, *, file_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class OpenAIDeleteFileOperator(OpenAIAdvBaseOperator):
    """Delete a file (``DELETE /files/{file_id}``)."""

    hook_method = OpenAIAdvHook.delete_file
    templated = ("file_id",)

    def __init__(self, *, file_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class OpenAIRetrieveFileContentOperator(OpenAIAdvBaseOperator):
    """Stream a file's content (``GET /files/{file_id}/content``) to ``output_path``.

    :param output_path: a local path or an object-storage URI (templated); a local file
        appears only once complete. XCom holds ``{"file_id", "path"}``, never the bytes.
    """

    hook_method = OpenAIAdvHook.retrieve_file_content
    templated = ("file_id", "output_path")

    def __init__(self, *, file_id: str, output_path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def to_xcom(self, result: Any, context: Any) -> dict[str, Any]:
        return {"file_id": self.file_id, "path": result}

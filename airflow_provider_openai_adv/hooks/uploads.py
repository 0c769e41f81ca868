"""Large files through the Uploads API: parts streamed from the source, resumable.

``POST /files`` takes 512 MB; above that (or on request) a file goes up as an *Upload*:
created with its size, sent in parts of at most 64 MB — each part its own request, read
from the source (a local file or object storage) as the socket takes it, and retried on
its own — then completed with the part ids in order. Memory stays flat whatever the size.

**Resuming.** OpenAI cannot list an Upload's parts, so the progress (the upload's id, the
parts sent) is written to ``progress`` — an Airflow task's ``task_state_store``, which
outlives the try — after every part. A retried task reads it back and sends only the
parts still missing; an Upload that expired or was cancelled meanwhile is started afresh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_openai_adv.exceptions import APIStatusError
from airflow_provider_openai_adv.validation import UPLOADS_PART_LIMIT

if TYPE_CHECKING:
    from airflow_provider_openai_adv.client.multipart import FilePart
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

PROGRESS_KEY = "openai_upload"


class Progress(Protocol):
    """Where an upload's progress is kept between tries (``context["task_state_store"]``)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...

    def delete(self, key: str) -> None: ...


def upload_in_parts(
    hook: OpenAIAdvHook,
    source: FilePart,
    size: int,
    *,
    purpose: str,
    part_bytes: int = UPLOADS_PART_LIMIT,
    progress: Progress | None = None,
    expires_after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Upload ``source`` (``size`` bytes) through the Uploads API; the File it becomes."""
    state = _resumable(progress, source.filename, size, purpose)
    if state is None:
        upload = hook.create_upload(
            filename=source.filename, purpose=purpose, bytes=size, mime_type=source.content_type,
            expires_after=expires_after,
        )  # fmt: skip
        state = {"upload_id": upload["id"], "filename": source.filename, "bytes": size, "purpose": purpose, "parts": []}
        _save(progress, state)
    else:
        hook.log.info("Resuming upload %s: %d parts already sent", state["upload_id"], len(state["parts"]))
    try:
        return _send_parts(hook, source, size, part_bytes, state, progress)
    except APIStatusError as error:
        if not state["parts"] or error.status_code not in (400, 404):
            raise
        # The upload we resumed has expired or was cancelled: its parts are gone. Start afresh.
        hook.log.warning("Upload %s can no longer take parts (%s); starting it again", state["upload_id"], error)
        if progress is not None:
            progress.delete(PROGRESS_KEY)
        return upload_in_parts(
            hook, source, size, purpose=purpose, part_bytes=part_bytes, progress=progress, expires_after=expires_after
        )


def _send_parts(
    hook: OpenAIAdvHook, source: FilePart, size: int, part_bytes: int, state: dict[str, Any], progress: Progress | None
) -> dict[str, Any]:
    for start in range(len(state["parts"]) * part_bytes, size, part_bytes):
        part = hook.add_upload_part(state["upload_id"], source.window(start, min(part_bytes, size - start)))
        state["parts"].append(part["id"])
        _save(progress, state)
    completed = hook.complete_upload(state["upload_id"], part_ids=state["parts"])
    if progress is not None:
        progress.delete(PROGRESS_KEY)
    file = completed.get("file")
    if not isinstance(file, dict) or not isinstance(file.get("id"), str):
        from airflow_provider_openai_adv.exceptions import InvalidResponseError

        raise InvalidResponseError(f"upload {state['upload_id']} completed without a file: {completed!r:.200}")
    return file


def _resumable(progress: Progress | None, filename: str, size: int, purpose: str) -> dict[str, Any] | None:
    """The progress an earlier try left for this very file, if any."""
    if progress is None:
        return None
    state = progress.get(PROGRESS_KEY)
    same = isinstance(state, dict) and (state.get("filename"), state.get("bytes"), state.get("purpose")) == (
        filename,
        size,
        purpose,
    )
    return state if same and isinstance(state.get("parts"), list) and isinstance(state.get("upload_id"), str) else None


def _save(progress: Progress | None, state: dict[str, Any]) -> None:
    if progress is not None:
        progress.set(PROGRESS_KEY, state)

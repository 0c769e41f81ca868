"""Uploads: a file sent in parts, each kept on disk, joined on disk at completion (routes in ``routes/uploads.py``).

An upload is ``pending`` for an hour of emulator clock, then ``expired``; it takes
parts of at most 64 MB, up to 8 GB in all, and on completion becomes a file of the
files store made of the parts it lists, in that order. A part is the multipart
request's file as the emulator spooled it to disk; completion copies the listed parts
into one file a chunk at a time, so memory stays flat whatever the size. Parts not
listed (a part sent again after a failure, say) are dropped with the rest.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from airflow_provider_openai_adv.testing.files import FileStore, StoredFile
from airflow_provider_openai_adv.testing.state import Store

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.http import UploadedFile
    from airflow_provider_openai_adv.testing.state import EmulatorState

# The limits the spec states in words.
PART_BYTES = 64 * 1024 * 1024  # POST /uploads/{upload_id}/parts: "Each Part can be at most 64 MB"
TOTAL_BYTES = 8 * 1024**3  # POST /uploads: "an Upload can accept at most 8 GB in total"
LIFETIME_SECONDS = 3600  # POST /uploads: it "expires after an hour after you create it"
COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class UploadLimits:
    """The largest part, and the most all of an upload's parts may hold."""

    part_bytes: int = PART_BYTES
    total_bytes: int = TOTAL_BYTES


@dataclass
class Part:
    id: str
    upload_id: str
    created_at: int
    path: Path
    size: int


@dataclass
class Upload:
    id: str
    filename: str
    purpose: str
    bytes: int
    created_at: int
    file_expires_after: int | None  # seconds after its creation that the completed file expires
    status: str = "pending"
    parts: dict[str, Part] = field(default_factory=dict)
    file: StoredFile | None = None

    @property
    def expires_at(self) -> int:
        return self.created_at + LIFETIME_SECONDS

    @property
    def received(self) -> int:
        return sum(part.size for part in self.parts.values())


class UploadStore(Store):
    """The emulator's uploads; get it with ``state.store(UploadStore)``."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.limits = UploadLimits()
        self.uploads: dict[str, Upload] = {}

    def create(self, *, filename: str, purpose: str, size: int, file_expires_after: int | None) -> Upload:
        with self.state.lock:
            upload = Upload(new_upload_id("upload"), filename, purpose, size, self.state.now(), file_expires_after)
            self.uploads[upload.id] = upload
            return upload

    def get(self, upload_id: str) -> Upload | None:
        """The upload, ``expired`` (its parts deleted) once the clock has passed ``expires_at`` while pending."""
        with self.state.lock:
            upload = self.uploads.get(upload_id)
            if upload is not None and upload.status == "pending" and self.state.now() >= upload.expires_at:
                self._close(upload, "expired")
            return upload

    def add_part(self, upload: Upload, data: UploadedFile) -> Part:
        """Keep the part already written at ``data.path``."""
        with self.state.lock:
            part = Part(new_upload_id("part"), upload.id, self.state.now(), data.path, data.size)
            upload.parts[part.id] = part
            return part

    def join(self, parts: list[Part]) -> tuple[Path, str]:
        """The parts copied into one new file, in order, and the file's MD5 (hex)."""
        path = self.state.temp_path()
        digest = hashlib.md5(usedforsecurity=False)
        with path.open("wb") as joined:
            for part in parts:
                with part.path.open("rb") as source:
                    while chunk := source.read(COPY_CHUNK):
                        joined.write(chunk)
                        digest.update(chunk)
        return path, digest.hexdigest()

    def complete(self, upload: Upload, joined: Path) -> StoredFile:
        """Make the joined parts a file of the files store; the parts go."""
        with self.state.lock:
            now = self.state.now()
            expires_at = now + upload.file_expires_after if upload.file_expires_after else None
            upload.file = self.state.store(FileStore).add(
                filename=upload.filename,
                purpose=upload.purpose,
                path=joined,
                size=joined.stat().st_size,
                expires_at=expires_at,
            )
            self._close(upload, "completed")
            return upload.file

    def cancel(self, upload: Upload) -> None:
        with self.state.lock:
            self._close(upload, "cancelled")

    def discard(self) -> None:
        for upload in self.uploads.values():
            self._drop_parts(upload)

    def _close(self, upload: Upload, status: str) -> None:
        upload.status = status
        self._drop_parts(upload)

    @staticmethod
    def _drop_parts(upload: Upload) -> None:
        for part in upload.parts.values():
            part.path.unlink(missing_ok=True)


def new_upload_id(prefix: str) -> str:
    """``upload_…`` and ``part_…``."""
    return f"{prefix}_{secrets.token_hex(12)}"


def set_limits(state: EmulatorState, **limits: int) -> UploadLimits:
    """Change the part and total size limits (for tests that need not send 64 MB); ``reset()`` restores OpenAI's."""
    store = state.store(UploadStore)
    store.limits = replace(store.limits, **limits)
    return store.limits

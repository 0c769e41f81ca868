"""The files family's state: uploads kept on disk until deleted (routes in ``routes/files.py``).

Fine-tuning reads training files from it and adds its results files to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_openai_adv.testing.state import EmulatorState, Store, new_id


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    bytes: int
    created_at: int
    path: Path
    expires_at: int | None = None

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }
        if self.expires_at is not None:
            body["expires_at"] = self.expires_at
        return body


class FileStore(Store):
    """The stored files, in upload order; get it with ``state.store(FileStore)``."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.files: dict[str, StoredFile] = {}

    def add(self, *, filename: str, purpose: str, path: Path, size: int, expires_at: int | None = None) -> StoredFile:
        """Keep the file already written at ``path``."""
        with self.state.lock:
            stored = StoredFile(new_id("file"), filename, purpose, size, self.state.now(), path, expires_at)
            self.files[stored.id] = stored
            return stored

    def delete(self, stored: StoredFile) -> None:
        with self.state.lock:
            self.files.pop(stored.id, None)
        stored.path.unlink(missing_ok=True)

    def discard(self) -> None:
        for stored in self.files.values():
            stored.path.unlink(missing_ok=True)

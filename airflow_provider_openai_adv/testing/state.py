"""What the emulator remembers between requests: models, files and a clock tests can move."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# The models a fresh emulator lists, and who owns each (as ``/models`` reports it).
BASE_MODELS: dict[str, str] = {
    "gpt-4o": "system",
    "gpt-4o-mini": "system",
    "gpt-4o-mini-2024-07-18": "system",
    "gpt-4.1": "system",
    "gpt-4.1-mini": "system",
    "gpt-3.5-turbo": "openai",
    "gpt-3.5-turbo-instruct": "system",
    "davinci-002": "system",
    "babbage-002": "system",
    "text-embedding-3-small": "system",
    "text-embedding-3-large": "system",
    "text-embedding-ada-002": "openai-internal",
    "whisper-1": "openai-internal",
    "gpt-4o-transcribe": "system",
    "tts-1": "openai-internal",
    "dall-e-2": "system",
    "dall-e-3": "system",
    "gpt-image-1": "system",
    "omni-moderation-latest": "system",
    "text-moderation-latest": "openai",
}
BASE_MODEL_CREATED = 1_700_000_000


class Clock:
    """Wall time plus an offset that tests move forward instead of sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def reset(self) -> None:
        self.offset = 0.0


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


@dataclass
class EmulatorState:
    """All emulator state; every mutation from outside the server goes through ``lock``."""

    storage_dir: Path
    clock: Clock = field(default_factory=Clock)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _stores: dict[Callable[..., Any], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        self.reset()

    @classmethod
    def in_temp_dir(cls) -> EmulatorState:
        return cls(Path(tempfile.mkdtemp(prefix="openai-emulator-")))

    def now(self) -> int:
        return int(self.clock.now())

    def reset(self) -> None:
        """Forget everything: models back to the base list, files deleted, clock at now."""
        with self.lock:
            self.clock.reset()
            self.models = {
                model_id: {"id": model_id, "object": "model", "created": BASE_MODEL_CREATED, "owned_by": owner}
                for model_id, owner in BASE_MODELS.items()
            }
            for stored in self.files.values():
                stored.path.unlink(missing_ok=True)
            self.files = {}
            self._stores = {}

    def store(self, factory: Callable[[EmulatorState], T]) -> T:
        """The state of one API family (fine-tuning jobs, images...), made on first use.

        A route module keeps its own state class and asks for it here, so families do
        not crowd this module; ``reset()`` forgets every store.
        """
        with self.lock:
            if factory not in self._stores:
                self._stores[factory] = factory(self)
            return self._stores[factory]

    def close(self) -> None:
        shutil.rmtree(self.storage_dir, ignore_errors=True)

    def temp_path(self) -> Path:
        return self.storage_dir / f"upload-{secrets.token_hex(8)}"

    def add_file(
        self, *, filename: str, purpose: str, path: Path, size: int, expires_at: int | None = None
    ) -> StoredFile:
        with self.lock:
            stored = StoredFile(new_id("file"), filename, purpose, size, self.now(), path, expires_at)
            self.files[stored.id] = stored
            return stored


def new_id(prefix: str, length: int = 24) -> str:
    """An OpenAI-looking id: ``file-…``, ``chatcmpl-…``, ``ftjob-…``."""
    return f"{prefix}-{secrets.token_hex(length // 2)}"

"""What every API family shares: the storage folder, a clock tests can move, one lock.

Each family keeps its own state in a store class (files, models, fine-tuning jobs,
images...), made on first use with ``state.store(TheStore)`` and forgotten by
``reset()``; this module knows none of them. A family that calls the API from inside
(batches run their lines through the other families' handlers) does so through
``state.internal_api``, which the app serving this state sets.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.files import StoredFile
    from airflow_provider_openai_adv.testing.http import Response

T = TypeVar("T")


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


class InternalAPI(Protocol):
    """The API as the emulator's own families call it: the routes served, without key, limits or journal."""

    def serves(self, method: str, path: str) -> bool:
        """Whether a route answers ``method`` on ``path`` (``/v1/...``)."""

    def answer_batch_line(self, path: str, body: bytes, custom_id: str) -> Response:
        """The answer to a batch line: a fault aimed at batch lines, else the handler of ``POST path``."""


class Store:
    """A family's state; subclasses take the :class:`EmulatorState` they belong to."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def discard(self) -> None:
        """Release what the store holds outside memory; ``reset()`` calls it before forgetting the store."""


@dataclass
class EmulatorState:
    """The state of one emulator; every mutation from outside the server goes through ``lock``."""

    storage_dir: Path
    clock: Clock = field(default_factory=Clock)
    lock: threading.RLock = field(default_factory=threading.RLock)
    internal_api: InternalAPI | None = None  # set by the app that serves this state
    _stores: dict[Callable[..., Any], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.storage_dir.mkdir(parents=True, exist_ok=True)

    @classmethod
    def in_temp_dir(cls) -> EmulatorState:
        return cls(Path(tempfile.mkdtemp(prefix="openai-emulator-")))

    def now(self) -> int:
        return int(self.clock.now())

    def store(self, factory: Callable[[EmulatorState], T]) -> T:
        """The state of one API family (files, fine-tuning jobs, images...), made on first use."""
        with self.lock:
            if factory not in self._stores:
                self._stores[factory] = factory(self)
            return self._stores[factory]

    def reset(self) -> None:
        """Forget everything: every store (uploaded files deleted), the clock back at now."""
        with self.lock:
            stores, self._stores = self._stores, {}
            self.clock.reset()
            for store in stores.values():
                if isinstance(store, Store):
                    store.discard()

    def close(self) -> None:
        shutil.rmtree(self.storage_dir, ignore_errors=True)

    def temp_path(self) -> Path:
        return self.storage_dir / f"upload-{secrets.token_hex(8)}"

    # -- shortcuts for tests (``emulator.state.files``), onto the files and models stores ---

    @property
    def files(self) -> dict[str, StoredFile]:
        from airflow_provider_openai_adv.testing.files import FileStore  # here: that module imports this one

        return self.store(FileStore).files

    @property
    def models(self) -> dict[str, dict[str, Any]]:
        from airflow_provider_openai_adv.testing.models import ModelStore

        return self.store(ModelStore).models


def new_id(prefix: str, length: int = 24) -> str:
    """An OpenAI-looking id: ``file-…``, ``chatcmpl-…``, ``ftjob-…``."""
    return f"{prefix}-{secrets.token_hex(length // 2)}"

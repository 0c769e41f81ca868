"""The checkpoint of direct bulk requests: finished rows' result lines beside the output,
so that a retried task sends only the rows without an answer."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_openai_adv.bulk.rows import Row
    from airflow_provider_openai_adv.bulk.template import RequestTemplate

CHECKPOINT_EVERY = 30.0  # seconds between uploads of the checkpoint to object storage...
CHECKPOINT_BYTES = 16 << 20  # ...or this many bytes of lines, whichever comes first


class Checkpoint:
    """The result lines of finished rows, beside the output, so a retried task sends only the rest.

    ``<output_path>.checkpoint/`` holds ``job.json`` (the job the lines belong to: when
    the input, the endpoint or the body changed, an earlier checkpoint is discarded) and a
    line per finished row (succeeded, or refused for good) in the Batch API's output shape.
    Locally the lines are appended to ``results.jsonl`` as each answer arrives (a line torn
    by a kill is dropped when the next try opens it). Object storage cannot append: lines go
    to a local segment, uploaded as ``part-000001.jsonl``, ``part-000002.jsonl``… every
    ``every`` seconds or ``size`` bytes and when the run ends or stops; a task killed between
    two uploads sends that stretch again (nothing lost, a little paid twice).
    """

    def __init__(
        self,
        output_path: Any,
        fingerprint: str,
        staging: Path,
        *,
        every: float = CHECKPOINT_EVERY,
        size: int = CHECKPOINT_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from airflow_provider_openai_adv.hooks.storage import is_remote, local_path, storage_path

        self.remote = is_remote(output_path)
        where = f"{output_path}.checkpoint"
        self.location = storage_path(where) if self.remote else local_path(where)
        self.fingerprint = fingerprint
        self.staging = staging
        self.every, self.size, self.clock = every, size, clock
        self._lock = threading.Lock()
        self._done: list[Path] = []  # local files of lines no longer written to
        self._segment: Path | None = None
        self._handle: Any = None
        self._number = 0
        self._segment_bytes = 0
        self._segment_started = 0.0

    def open(self) -> list[Path]:
        """Start this try's lines; the local files holding earlier tries' lines."""
        self.staging.mkdir(parents=True, exist_ok=True)
        earlier = self._earlier() if self._same_job() else self._start_afresh()
        if self.remote:
            self._done = list(earlier)
            self._next_segment()
        else:
            self._segment = self.location / "results.jsonl"
            self._handle = self._segment.open("ab")
        return earlier

    def append(self, lines: bytes) -> None:
        """Add finished rows' lines (whole lines, safe from any thread)."""
        with self._lock:
            self._handle.write(lines)
            self._handle.flush()
            self._segment_bytes += len(lines)
            if self.remote and (self._segment_bytes >= self.size or self.clock() - self._segment_started >= self.every):
                self._upload()
                self._next_segment()

    def close(self) -> None:
        """Flush what is written (uploading the last segment)."""
        with self._lock:
            if self._handle is None:
                return
            if self.remote:
                self._upload()
            else:
                self._handle.close()
            self._handle = None

    def files(self) -> list[Path]:
        """Every local file of lines, earlier tries' and this one's, oldest first."""
        return [*self._done, *([self._segment] if self._segment is not None and not self.remote else [])]

    def remove(self) -> None:
        """Delete the checkpoint (the output is written and accepted)."""
        self.close()
        if self.remote:
            _remove_remote_folder(self.location)
        else:
            shutil.rmtree(self.location, ignore_errors=True)

    # -- inside ------------------------------------------------------------------------

    def _same_job(self) -> bool:
        job = self.location / "job.json"
        try:
            if not job.exists():
                return False
            with job.open("rb") as handle:
                return json.loads(handle.read()).get("fingerprint") == self.fingerprint
        except (OSError, ValueError, AttributeError):
            return False

    def _start_afresh(self) -> list[Path]:
        if self.remote:
            _remove_remote_folder(self.location)
        else:
            shutil.rmtree(self.location, ignore_errors=True)
            self.location.mkdir(parents=True)
        with (self.location / "job.json").open("wb") as handle:
            handle.write(json.dumps({"fingerprint": self.fingerprint}).encode())
        return []

    def _earlier(self) -> list[Path]:
        if not self.remote:
            lines = self.location / "results.jsonl"
            if lines.exists():
                _drop_torn_tail(lines)
            return []  # this try appends to the same file: files() names it
        parts = sorted(
            (int(path.name[5:11]), path)
            for path in self.location.iterdir()
            if path.name.startswith("part-") and path.name.endswith(".jsonl") and path.name[5:11].isdigit()
        )
        copies = []
        for number, path in parts:
            copy = self.staging / f"earlier-{number:06d}.jsonl"
            with path.open("rb") as source, copy.open("wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
            copies.append(copy)
            self._number = max(self._number, number)
        return copies

    def _next_segment(self) -> None:
        self._number += 1
        self._segment = self.staging / f"segment-{self._number:06d}.jsonl"
        self._handle = self._segment.open("wb")
        self._segment_bytes = 0
        self._segment_started = self.clock()

    def _upload(self) -> None:
        self._handle.close()
        self._handle = None
        assert self._segment is not None
        if self._segment_bytes:
            with (
                self._segment.open("rb") as source,
                (self.location / f"part-{self._number:06d}.jsonl").open("wb") as target,
            ):
                shutil.copyfileobj(source, target, 1 << 20)
            self._done.append(self._segment)


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line a killed writer left without its newline."""
    with path.open("r+b") as handle:
        end = handle.seek(0, 2)
        position = end
        while position > 0:
            step = min(1 << 16, position)
            position -= step
            handle.seek(position)
            block = handle.read(step)
            cut = block.rfind(b"\n")
            if cut >= 0:
                if position + cut + 1 < end:
                    handle.truncate(position + cut + 1)
                return
        handle.truncate(0)


def _remove_remote_folder(folder: Any) -> None:
    try:
        if not folder.exists():
            return
        for path in list(folder.iterdir()):
            path.unlink()
        folder.rmdir()
    except (OSError, NotImplementedError):  # object stores have no folders to remove
        pass


def fingerprint(rows_digest: str, template: RequestTemplate) -> str:
    """What makes two runs the same job: the rows as read (``RowDigest``: their ids and
    values, whatever file they came from, so a file changed at the same path is another
    job) and the requests made of them."""
    what = [*template.identity(), rows_digest]
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


class RowDigest:
    """A digest of rows as they are read: each row's ``custom_id`` and values, in order."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, row: Row) -> None:
        self._hash.update(json.dumps([row.custom_id, row.values], sort_keys=True, default=str).encode())
        self._hash.update(b"\n")

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

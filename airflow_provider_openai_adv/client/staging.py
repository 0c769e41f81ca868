"""Writing a local file so that it appears whole or not at all.

A file is written beside its target under a temporary name (``.<name>.<random>.part``)
and renamed into place when complete. A writer killed mid-way cannot clean up, so the
next writer to the same folder sweeps what such writers left: a temporary file or
folder nobody has written to for :data:`STALE_SECONDS` belongs to a process that is gone
(a live download writes every second or so).
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

STALE_SECONDS = 3600


def partial_path(target: Path) -> Path:
    """A fresh temporary name beside ``target``, after sweeping stale ones."""
    sweep_stale(target.parent, f".{target.name}.*.part")
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")


def sweep_stale(folder: Path, pattern: str, *, older_than: float = STALE_SECONDS) -> None:
    """Remove what killed writers left in ``folder`` (``pattern``), untouched for ``older_than`` s."""
    cutoff = time.time() - older_than
    for leftover in folder.glob(pattern):
        try:
            if leftover.stat().st_mtime >= cutoff:
                continue
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink()
        except OSError:  # another process swept it first
            continue

"""Multipart form bodies that stream their files instead of holding them in memory.

``requests`` builds a multipart body as one bytes object, so a 1 GiB upload would cost
1 GiB of memory. ``requests-toolbelt``'s encoder reads the files as the socket takes
them. Files are described by a :class:`FilePart` that knows how to open itself, so a
retried request re-reads the file from the start.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO, Any


@dataclass(frozen=True)
class FilePart:
    """One file field of a multipart form."""

    field: str
    opener: Callable[[], IO[bytes]]
    filename: str
    content_type: str = "application/octet-stream"

    @classmethod
    def from_path(cls, field: str, path: str | os.PathLike[str], content_type: str | None = None) -> FilePart:
        path = Path(path)
        return cls(field, lambda: path.open("rb"), path.name, content_type or guess_content_type(path.name))

    @classmethod
    def from_bytes(cls, field: str, content: bytes, filename: str, content_type: str | None = None) -> FilePart:
        return cls(field, lambda: BytesIO(content), filename, content_type or guess_content_type(filename))

    def window(self, start: int, length: int) -> FilePart:
        """This file's bytes ``[start, start + length)`` as a part of their own (an Uploads
        API part), read from the source as the socket takes them, like the whole file."""
        return FilePart(self.field, lambda: FileWindow(self.opener(), start, length), self.filename, self.content_type)


class FileWindow:
    """A read-only view of ``length`` bytes of a file from ``start``.

    It has a ``len`` (the bytes left, as the multipart encoder reads it) and no
    ``fileno``, so the encoder sizes the part by the window, not by the file behind it.
    """

    def __init__(self, handle: IO[bytes], start: int, length: int) -> None:
        self.handle = handle
        self._left = length
        handle.seek(start)

    @property
    def len(self) -> int:
        return self._left

    def read(self, size: int = -1) -> bytes:
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self.handle.read(size)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self.handle.close()

    def __enter__(self) -> FileWindow:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def guess_content_type(filename: str) -> str:
    if filename.endswith(".jsonl"):
        return "application/jsonl"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def form_value(value: Any) -> str:
    """How one form field is written: OpenAI reads booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def form_fields(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten ``fields`` as OpenAI reads multipart forms (and the openai SDK writes them).

    ``None`` is left out (the API's default applies); a list repeats ``name[]``; an
    object becomes ``name[key]`` fields (``expires_after[seconds]``), nested as deep as
    it goes.
    """
    flat: list[tuple[str, str]] = []
    for name, value in fields.items():
        flat.extend(_flatten(name, value))
    return flat


def _flatten(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [pair for key, item in value.items() for pair in _flatten(f"{name}[{key}]", item)]
    if isinstance(value, (list, tuple)):
        array = name if name.endswith("[]") else f"{name}[]"
        return [pair for item in value for pair in _flatten(array, item)]
    return [(name, form_value(value))]


@contextmanager
def open_multipart(fields: Mapping[str, Any], files: Sequence[FilePart]) -> Iterator[Any]:
    """Open the files and yield a streaming ``MultipartEncoder`` over them; close them after."""
    from requests_toolbelt import MultipartEncoder

    with ExitStack() as stack:
        parts: list[tuple[str, Any]] = list(form_fields(fields))
        for part in files:
            handle = stack.enter_context(part.opener())
            parts.append((part.field, (part.filename, handle, part.content_type)))
        yield MultipartEncoder(parts)

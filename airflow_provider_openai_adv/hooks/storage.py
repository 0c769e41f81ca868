"""Files in and out of the API: local paths or Airflow object-storage URIs (``s3://…``).

Nothing here reads a whole file: uploads open the file when the request is sent (and
again on a retry); downloads stream into the destination.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from airflow_provider_openai_adv.client.multipart import FilePart, guess_content_type
from airflow_provider_openai_adv.exceptions import OpenAIValidationError

PathLike = str | os.PathLike[str]


def is_remote(location: Any) -> bool:
    """True for an object-storage location (``s3://``, ``gs://``…), not a local file."""
    text = str(location)
    return "://" in text and not text.startswith("file://")


def storage_path(location: Any) -> Any:
    """The location as an ``ObjectStoragePath`` (Airflow's fsspec-backed path)."""
    from airflow.sdk import ObjectStoragePath

    return location if isinstance(location, ObjectStoragePath) else ObjectStoragePath(str(location))


def local_path(location: Any) -> Path:
    text = str(location)
    return Path(text[len("file://") :] if text.startswith("file://") else text).expanduser()


def file_part(field: str, source: Any, *, argument: str, filename: str | None = None) -> FilePart:
    """A multipart file field reading ``source``; checks that it exists first.

    :param argument: the name the user knows the input by, for the error message.
    """
    if isinstance(source, (bytes, bytearray)):
        if filename is None:
            raise OpenAIValidationError(f"{argument}: a filename is needed when passing bytes")
        return FilePart.from_bytes(field, bytes(source), filename)
    located = existing_file(source, argument=argument)
    name = filename or located.name
    return FilePart(field, lambda: located.open("rb"), name, guess_content_type(name))


def existing_file(source: Any, *, argument: str) -> Any:
    """The input as a ``Path`` or ``ObjectStoragePath`` that exists and can be read."""
    if not source or not str(source).strip():
        raise OpenAIValidationError(f"{argument}: no file given")
    if is_remote(source):
        remote = storage_path(source)
        if not remote.exists():
            raise OpenAIValidationError(f"{argument}: {source} does not exist")
        return remote
    path = local_path(source)
    if not path.is_file():
        raise OpenAIValidationError(f"{argument}: {path} does not exist or is not a file")
    if not os.access(path, os.R_OK):
        raise OpenAIValidationError(f"{argument}: {path} is not readable")
    return path


@contextmanager
def open_for_writing(destination: Any) -> Iterator[IO[bytes] | Path]:
    """Yield what ``OpenAIClient.download`` writes to: a local ``Path`` (written
    atomically by the client) or an open object-storage file."""
    if not is_remote(destination):
        yield local_path(destination)
        return
    remote = storage_path(destination)
    with remote.open("wb") as handle:
        yield handle


def describe_source(source: Any, *, argument: str, head_bytes: int = 32) -> tuple[str, int, bytes]:
    """``(file name, size in bytes, first bytes)`` of an input file, for checks before upload."""
    if isinstance(source, (bytes, bytearray)):
        return "", len(source), bytes(source[:head_bytes])
    located = existing_file(source, argument=argument)
    try:
        with located.open("rb") as handle:
            return located.name, located.stat().st_size, handle.read(head_bytes)
    except OSError as error:
        raise OpenAIValidationError(f"{argument}: {source} cannot be read: {error}") from None


def join(folder: Any, name: str) -> Any:
    """``folder / name`` for a local folder or an object-storage prefix."""
    return storage_path(folder) / name if is_remote(folder) else local_path(folder) / name


def write_bytes(destination: Any, data: bytes) -> str:
    """Write ``data`` to a local path (atomically) or an object-storage URI; return where."""
    if is_remote(destination):
        with storage_path(destination).open("wb") as handle:
            handle.write(data)
        return str(destination)
    path = local_path(destination)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    os.replace(partial, path)
    return str(path)

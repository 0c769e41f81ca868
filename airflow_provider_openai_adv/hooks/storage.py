"""Files in and out of the API: local paths or Airflow object-storage URIs (``s3://…``).

Nothing here reads a whole file: uploads open the file when the request is sent (and
again on a retry); downloads stream into the destination.

Outputs stay where they belong, whole or not at all:

* a file name put under ``output_path`` is one plain name — never ``..``, a separator or
  an absolute path, whether it came from a template or from a server;
* ``output_path`` is checked before any request: not empty, a folder where a folder is
  expected and a file where a file is;
* several files of one result are staged and appear together, or not at all;
* a local file is written beside its target under a temporary name and renamed into
  place when complete; the leftovers of a killed writer are swept on the next write
  (:mod:`~airflow_provider_openai_adv.client.staging`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from airflow_provider_openai_adv.client.multipart import FilePart, guess_content_type
from airflow_provider_openai_adv.client.staging import partial_path, sweep_stale
from airflow_provider_openai_adv.exceptions import OpenAIValidationError

STAGING_PREFIX = ".openai-adv-staging-"


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


# -- inputs ------------------------------------------------------------------------------


def file_part(field: str, source: Any, *, argument: str, filename: str | None = None) -> FilePart:
    """A multipart file field reading ``source``; checks that it exists and reads first.

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
    """The input as a ``Path`` or ``ObjectStoragePath`` that exists and can be opened."""
    if source is None or not str(source).strip():
        raise OpenAIValidationError(f"{argument}: no file given")
    if is_remote(source):
        remote = storage_path(source)
        if not remote.exists():
            raise OpenAIValidationError(f"{argument}: {source} does not exist")
        return remote
    path = local_path(source)
    if not path.is_file():
        raise OpenAIValidationError(f"{argument}: {path} does not exist or is not a file")
    try:
        with path.open("rb"):  # os.access says yes to root for any file; opening tells the truth
            pass
    except OSError as error:
        raise OpenAIValidationError(f"{argument}: {path} cannot be read: {error.strerror}") from None
    return path


@contextmanager
def open_source(source: Any, *, argument: str) -> Iterator[IO[bytes]]:
    """The input opened for reading, as bytes (``bytes`` given directly, a path, or a URI)."""
    if isinstance(source, (bytes, bytearray)):
        from io import BytesIO

        yield BytesIO(bytes(source))
        return
    located = existing_file(source, argument=argument)
    try:
        with located.open("rb") as handle:
            yield handle
    except OSError as error:  # opening, or reading part-way (the caller reads in the block)
        raise OpenAIValidationError(f"{argument}: {source} cannot be read: {error}") from None


def describe_source(source: Any, *, argument: str, head_bytes: int = 32) -> tuple[str, int, bytes]:
    """``(file name, size in bytes, first bytes)`` of an input file, for checks before upload."""
    if isinstance(source, (bytes, bytearray)):
        return "", len(source), bytes(source[:head_bytes])
    with open_source(source, argument=argument) as handle:
        try:
            head = handle.read(head_bytes)
        except OSError as error:
            raise OpenAIValidationError(f"{argument}: {source} cannot be read: {error}") from None
    located = existing_file(source, argument=argument)
    return located.name, located.stat().st_size, head


# -- outputs -----------------------------------------------------------------------------


def output_name(name: str, *, argument: str = "output_path") -> str:
    """``name`` if it is one plain file name that stays inside the output folder."""
    plain = (
        isinstance(name, str)
        and name.strip() not in ("", ".", "..")
        and not any(separator in name for separator in ("/", "\\", "\x00"))
        and not Path(name).is_absolute()
    )
    if not plain:
        raise OpenAIValidationError(f"{argument}: {name!r} is not a plain file name; it would leave the folder")
    return name


def join(folder: Any, name: str) -> Any:
    """``folder / name`` for a local folder or an object-storage prefix; ``name`` must be plain."""
    name = output_name(name)
    return storage_path(folder) / name if is_remote(folder) else local_path(folder) / name


def check_output_folder(location: Any, *, argument: str = "output_path") -> None:
    """Refuse, before any request, an ``output_path`` that cannot be a folder."""
    _check_given(location, argument)
    if is_remote(location):
        return
    path = local_path(location)
    if path.exists() and not path.is_dir():
        raise OpenAIValidationError(f"{argument}: {path} is a file; a folder is expected")
    _check_parents(path, argument)


def check_output_file(location: Any, *, argument: str = "output_path") -> None:
    """Refuse, before any request, an ``output_path`` that cannot be a file."""
    _check_given(location, argument)
    if is_remote(location):
        return
    path = local_path(location)
    if path.is_dir() or str(location).endswith(("/", os.sep)):
        raise OpenAIValidationError(f"{argument}: {path} is a folder; a file path is expected")
    _check_parents(path.parent, argument)


def _check_given(location: Any, argument: str) -> None:
    if location is None or not str(location).strip():
        raise OpenAIValidationError(f"{argument}: must not be empty; give a local path or an object-storage URI")


def _check_parents(path: Path, argument: str) -> None:
    for parent in (path, *path.parents):
        if parent.exists():
            if not parent.is_dir():
                raise OpenAIValidationError(f"{argument}: {parent} is a file, so nothing can be written under it")
            return


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


def write_bytes(destination: Any, data: bytes) -> str:
    """Write ``data`` to a local path (atomically) or an object-storage URI; return where."""
    if is_remote(destination):
        with storage_path(destination).open("wb") as handle:
            handle.write(data)
        return str(destination)
    path = local_path(destination)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(path)
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return str(path)


class OutputSet:
    """Several files of one result, published together or not at all.

    Locally they are written into a staging folder beside the targets and moved into
    place once all are written; in object storage (which has no rename) they are written
    in place and deleted again if a later one fails. Use as a context manager: leaving
    it with an exception removes everything written.
    """

    def __init__(self, folder: Any) -> None:
        self.folder = folder
        self.remote = is_remote(folder)
        self.written: list[tuple[Any, Any]] = []  # (where it is now, where it goes)
        self.staging: Path | None = None

    def __enter__(self) -> OutputSet:
        if not self.remote:
            root = local_path(self.folder)
            root.mkdir(parents=True, exist_ok=True)
            sweep_stale(root, f"{STAGING_PREFIX}*")
            self.staging = root / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
            self.staging.mkdir()
        return self

    def target(self, name: str) -> Any:
        """Where ``name`` is written now (staged locally); record where it goes."""
        final = join(self.folder, name)
        current = final if self.staging is None else self.staging / output_name(name)
        self.written.append((current, final))
        return current

    def __exit__(self, error_type: Any, *rest: Any) -> None:
        try:
            if error_type is None:
                self._publish()
            elif self.remote:
                for current, _ in self.written:
                    _remove_remote(current)
        finally:
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)

    def _publish(self) -> None:
        if self.staging is None:
            return
        moved: list[Path] = []
        try:
            for current, final in self.written:
                os.replace(current, final)
                moved.append(final)
        except OSError:
            for final in moved:
                final.unlink(missing_ok=True)
            raise

    @property
    def paths(self) -> list[str]:
        return [str(final) for _, final in self.written]


def _remove_remote(path: Any) -> None:
    try:
        if path.exists():
            path.unlink()
    except OSError:  # best effort: the task fails anyway, with the original error
        pass

"""Reads a multipart/form-data body as it arrives, writing file parts straight to disk.

Uploads of hundreds of megabytes pass through without ever being held in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header

from airflow_provider_openai_adv.testing.http import APIError, Form, UploadedFile


class StreamingFormReader:
    """Feed it body chunks; it fills a :class:`Form` and spools files to ``new_path()``."""

    def __init__(self, content_type_header: str, new_path: Callable[[], Path]) -> None:
        _, options = parse_options_header(content_type_header)
        boundary = options.get(b"boundary")
        if not boundary:
            raise APIError(400, "The multipart/form-data body has no boundary.")
        self.form = Form()
        self._new_path = new_path
        self._headers: dict[str, str] = {}
        self._header_field = b""
        self._header_value = b""
        self._name = ""
        self._filename: str | None = None
        self._buffer = bytearray()
        self._file: IO[bytes] | None = None
        self._upload: UploadedFile | None = None
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field_data,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        self._parser.write(chunk)

    def finish(self) -> Form:
        self._parser.finalize()
        return self.form

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
        self.form.discard()

    def _part_begin(self) -> None:
        self._headers = {}
        self._buffer = bytearray()

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.decode("latin-1").lower()] = self._header_value.decode("utf-8")
        self._header_field = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        self._name = options.get(b"name", b"").decode("utf-8")
        filename: Any = options.get(b"filename")
        self._filename = filename.decode("utf-8") if filename is not None else None
        if self._filename is not None:
            path = self._new_path()
            self._file = path.open("wb")
            self._upload = UploadedFile(
                self._filename, self._headers.get("content-type", "application/octet-stream"), path, 0
            )
            self.form.files.setdefault(self._name, []).append(self._upload)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None and self._upload is not None:
            self._file.write(data[start:end])
            self._upload.size += end - start
        else:
            self._buffer += data[start:end]

    def _part_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._upload = None
        else:
            self.form.fields.setdefault(self._name, []).append(self._buffer.decode("utf-8"))

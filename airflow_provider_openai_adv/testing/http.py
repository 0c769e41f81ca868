"""The emulator's small HTTP toolkit: requests, responses and errors (routing is ``routing.py``).

A raw ASGI layer instead of a web framework: the emulator must answer thousands of
requests a second so that it is never what a benchmark measures.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from airflow_provider_openai_adv import safe_json

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.state import EmulatorState


@dataclass
class UploadedFile:
    """A file part of a multipart request, already written to disk."""

    filename: str
    content_type: str
    path: Path
    size: int


@dataclass
class Form:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[UploadedFile]] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else default

    def get_list(self, name: str) -> list[str]:
        return self.fields.get(name, []) + self.fields.get(f"{name}[]", [])

    def file(self, name: str) -> UploadedFile | None:
        files = self.files.get(name) or self.files.get(f"{name}[]")
        return files[0] if files else None

    def take_file(self, name: str) -> UploadedFile | None:
        """Remove and return a file part, so that the request's clean-up keeps it."""
        for key in (name, f"{name}[]"):
            if self.files.get(key):
                return self.files[key].pop(0)
        return None

    def all_files(self, name: str) -> list[UploadedFile]:
        return self.files.get(name, []) + self.files.get(f"{name}[]", [])

    def discard(self) -> None:
        """Delete the temporary files no handler kept."""
        for uploads in self.files.values():
            for upload in uploads:
                upload.path.unlink(missing_ok=True)


class Request:
    """One request as a handler sees it: method, path, query, headers, parsed body."""

    def __init__(self, scope: dict[str, Any], state: EmulatorState) -> None:
        self.method: str = scope["method"]
        self.path: str = scope["path"]  # percent-decoded: what faults, limits and the journal see
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        self.raw_path: str = raw_path.decode("latin-1")  # as sent: what routes match
        self.scheme: str = scope.get("scheme", "http")
        self.query: dict[str, str] = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        self.headers: dict[str, str] = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.state = state
        client = scope.get("client")
        self.peer = f"{client[0]}:{client[1]}" if client else ""
        self.path_params: dict[str, str] = {}
        self.body: bytes = b""
        self.body_complete = True  # False when a large multipart body was not kept in memory
        self.form: Form | None = None
        self.files_received: dict[str, list[dict[str, Any]]] | None = None  # as uploaded, for the journal
        self._json: Any = None

    @classmethod
    def internal(cls, state: EmulatorState, path: str, body: bytes) -> Request:
        """A JSON ``POST`` the emulator makes to itself, such as a batch's line."""
        scope = {
            "method": "POST",
            "path": path,
            "query_string": b"",
            "headers": [(b"content-type", b"application/json")],
        }
        request = cls(scope, state)
        request.body = body
        return request

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> dict[str, Any]:
        """The JSON object body; OpenAI's 400 answer when it is not one."""
        if self._json is None:
            try:
                body = safe_json.loads(self.body or b"null")  # nesting bounded: handlers recurse
            except ValueError:
                raise APIError(
                    400,
                    "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.",
                ) from None
            if not isinstance(body, dict):
                raise APIError(400, "The request body must be a JSON object.")
            self._json = body  # kept only when it is an object: every reader gets the same 400 otherwise
        return self._json

    def require_form(self) -> Form:
        if self.form is None:
            raise APIError(400, "This endpoint expects a multipart/form-data body.")
        return self.form


@dataclass
class Response:
    """What a handler returns; ``stream`` (async bytes) or ``file`` replace ``body``."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    stream: AsyncIterator[bytes] | None = None
    file: Path | None = None


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")).encode(), status)


def text_response(text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    return Response(text.encode(), 200, content_type)


def error_body(
    message: str, error_type: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


class APIError(Exception):
    """Raised by a handler to answer with OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(message, error_type, param, code)
        self.headers = list(headers)

    def response(self) -> Response:
        response = json_response(self.body, self.status)
        response.headers.extend(self.headers)
        return response


def invalid(message: str, param: str | None = None, code: str | None = None) -> APIError:
    """A 400 ``invalid_request_error``, the answer to most bad arguments."""
    return APIError(400, message, param=param, code=code)


def not_found(message: str, param: str | None = None, code: str | None = None) -> APIError:
    return APIError(404, message, param=param, code=code)

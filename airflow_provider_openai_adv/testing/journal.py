"""The request journal: what the emulator received and answered, for tests to inspect."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_openai_adv.testing.http import Request, Response

JOURNAL_BODY_LIMIT = 1 << 20  # bodies larger than this are not kept


@dataclass
class RecordedRequest:
    """One request the emulator answered, as a test may want to inspect it."""

    method: str
    path: str  # percent-decoded
    query: dict[str, str]
    headers: dict[str, str]
    content_type: str
    body: bytes | None
    form: dict[str, list[str]] | None
    files: dict[str, list[dict[str, Any]]] | None
    status: int = 0
    peer: str = ""  # the client's address and port: one per TCP connection
    response_headers: dict[str, str] = field(default_factory=dict)
    response_content_type: str = ""
    response_body: bytes | None = None
    raw_path: str = ""  # the path as sent, still percent-encoded
    answer_lost: bool = False  # handled, but the connection was closed instead of answering

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def response_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body else None

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data["body"] = self.body.decode("utf-8", "replace") if self.body is not None else None
        data["response_body"] = (
            self.response_body.decode("utf-8", "replace") if self.response_body is not None else None
        )
        return data


class Journal:
    """The last ``size`` requests, oldest first (``size=0`` keeps none).

    ``clear()`` starts a new generation: a request that began before it is not recorded
    after it, so a slow request of one test never shows in the next test's journal.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.generation = 0
        self._entries: deque[RecordedRequest] = deque(maxlen=size or 1)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(list(self._entries))

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    def record(
        self,
        request: Request,
        response: Response,
        extra_headers: list[tuple[str, str]],
        *,
        generation: int | None = None,
        answer_lost: bool = False,
    ) -> None:
        """Keep ``request`` and its answer, unless the journal is off or was cleared since ``generation``."""
        if not self.size or (generation is not None and generation != self.generation):
            return
        self._entries.append(_entry(request, response, extra_headers, answer_lost))


def _entry(
    request: Request, response: Response, extra_headers: list[tuple[str, str]], answer_lost: bool
) -> RecordedRequest:
    form = request.form
    body = request.body if request.body_complete and len(request.body) <= JOURNAL_BODY_LIMIT else None
    headers = dict(request.headers)
    if "authorization" in headers:
        headers["authorization"] = "Bearer ***"
    return RecordedRequest(
        method=request.method,
        path=request.path,
        query=request.query,
        headers=headers,
        content_type=request.content_type,
        body=body,
        form=dict(form.fields) if form is not None else None,
        files=request.files_received,
        status=response.status,
        peer=request.peer,
        response_headers=dict(response.headers + extra_headers),
        response_content_type=response.content_type,
        response_body=response.body if response.stream is None and response.file is None else None,
        raw_path=request.raw_path,
        answer_lost=answer_lost,
    )

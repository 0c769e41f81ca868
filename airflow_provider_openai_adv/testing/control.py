"""The ``/_emulator/`` endpoints: the Python handle's controls over HTTP, without a key.

For an emulator started from the shell: ``GET health``, ``POST reset``, ``POST|DELETE
faults`` (body: :class:`Fault`'s fields), ``POST|DELETE limits`` (body:
:class:`RateLimit`'s), ``POST fine_tune_timings``, ``POST batch_timings``, ``POST
response_timings``, ``POST upload_limits``, ``POST clock {"advance": s}``, ``GET requests``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.testing import batches, fine_tuning, responses, uploads
from airflow_provider_openai_adv.testing.faults import Fault, RateLimit
from airflow_provider_openai_adv.testing.http import Request, Response, json_response
from airflow_provider_openai_adv.testing.routing import Route

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.app import EmulatorApp

CONTROL_PREFIX = "/_emulator"


class Control:
    """The control endpoints of one app; bad arguments raise ``TypeError`` / ``ValueError`` (the app's 400)."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def routes(self) -> tuple[Route, ...]:
        return (
            Route("GET", "/health", self.health),
            Route("POST", "/reset", self.reset),
            Route("POST", "/faults", self.add_fault),
            Route("DELETE", "/faults", self.clear_faults),
            Route("POST", "/limits", self.add_limit),
            Route("DELETE", "/limits", self.clear_limits),
            Route("POST", "/fine_tune_timings", self.set_fine_tune_timings),
            Route("POST", "/batch_timings", self.set_batch_timings),
            Route("POST", "/response_timings", self.set_response_timings),
            Route("POST", "/upload_limits", self.set_upload_limits),
            Route("POST", "/clock", self.advance_clock),
            Route("GET", "/requests", self.journal),
        )

    def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    def reset(self, request: Request) -> Response:
        self.app.reset()
        return _ok()

    def add_fault(self, request: Request) -> Response:
        self.app.faults.add(Fault(**_arguments(request)))
        return _ok()

    def clear_faults(self, request: Request) -> Response:
        self.app.faults.clear()
        return _ok()

    def add_limit(self, request: Request) -> Response:
        self.app.add_limit(RateLimit(**_arguments(request)))
        return _ok()

    def clear_limits(self, request: Request) -> Response:
        self.app.clear_limits()
        return _ok()

    def set_fine_tune_timings(self, request: Request) -> Response:
        fine_tuning.set_timings(self.app.state, **_arguments(request))
        return _ok()

    def set_batch_timings(self, request: Request) -> Response:
        batches.set_timings(self.app.state, **_arguments(request))
        return _ok()

    def set_response_timings(self, request: Request) -> Response:
        responses.set_timings(self.app.state, **_arguments(request))
        return _ok()

    def set_upload_limits(self, request: Request) -> Response:
        uploads.set_limits(self.app.state, **_arguments(request))
        return _ok()

    def advance_clock(self, request: Request) -> Response:
        self.app.state.clock.advance(float(_arguments(request).get("advance", 0)))
        return _ok()

    def journal(self, request: Request) -> Response:
        return json_response([entry.summary() for entry in self.app.journal])


def _arguments(request: Request) -> dict[str, Any]:
    return request.json() if request.body else {}


def _ok() -> Response:
    return json_response({"ok": True})

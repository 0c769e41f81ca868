"""Run the OpenAI emulator: from Python as a context manager, or from the shell.

Python::

    with OpenAIEmulator() as emulator:
        hook_conn = emulator.airflow_connection()   # JSON for AIRFLOW_CONN_<ID>
        emulator.add_fault(path="/v1/chat/completions", status=429, retry_after=1, times=1)
        ...
        emulator.requests[-1].json()                # what the server received
        with emulator.outage():                     # connections refused, state kept
            ...

Shell::

    python -m airflow_provider_openai_adv.testing.emulator --port 8089

The server is uvicorn (already an Airflow dependency) on loopback, in a background
thread of the calling process; the shell form runs it in the foreground.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.testing import batches, fine_tuning, responses, uploads
from airflow_provider_openai_adv.testing.app import EmulatorApp, EmulatorSettings
from airflow_provider_openai_adv.testing.faults import Fault, RateLimit
from airflow_provider_openai_adv.testing.journal import RecordedRequest
from airflow_provider_openai_adv.testing.state import EmulatorState

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.tls import TLSFiles

DEFAULT_API_KEY = "sk-emulator-key"
DEFAULT_CONN_ID = "openai_adv_default"
GRACEFUL_STOP_SECONDS = 2.0  # answers in progress at stop() get this long to finish


def _uvicorn_server(app: EmulatorApp, tls: TLSFiles | None = None, log_level: str = "warning") -> Any:
    import uvicorn

    config = uvicorn.Config(
        app,
        http="auto",
        loop="auto",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        server_header=False,
        date_header=False,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=GRACEFUL_STOP_SECONDS,
        ssl_certfile=tls and str(tls.certfile),
        ssl_keyfile=tls and str(tls.keyfile),
    )
    return uvicorn.Server(config)


class OpenAIEmulator:
    """An OpenAI-compatible server on loopback, with state, faults and limits on demand.

    :param port: 0 picks a free port (kept across ``stop()`` / ``start()``).
    :param api_key: the only key accepted; any other gets OpenAI's 401. ``None`` accepts
        any key (a key is still required).
    :param latency: seconds added to every answer.
    :param storage_dir: where uploaded files are kept (a temporary folder by default,
        deleted by ``close()``).
    :param seed: seeds the random choices of faults with a ``rate``.
    :param tls: serve HTTPS with these certificate and key files
        (see :func:`~airflow_provider_openai_adv.testing.tls.write_test_certificates`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        latency: float = 0.0,
        storage_dir: str | Path | None = None,
        seed: int = 0,
        journal_size: int = 10_000,
        tls: TLSFiles | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self._accepted_key = api_key
        state = EmulatorState(Path(storage_dir)) if storage_dir else EmulatorState.in_temp_dir()
        # An emulator's own temporary folder goes with it, even if close() is never called.
        self._dispose = weakref.finalize(self, state.close) if not storage_dir else None
        self.app = EmulatorApp(state, EmulatorSettings(api_key, latency, journal_size), seed)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> OpenAIEmulator:
        """Serve, on the port of the previous start if there was one."""
        if self._thread is not None:
            return self
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._server = _uvicorn_server(self.app, self.tls)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="openai-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the OpenAI emulator did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving: connections refused, idle ones closed, answers in progress given a moment to finish.

        State, faults and the journal stay; ``start()`` serves them again on the same port.
        """
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=GRACEFUL_STOP_SECONDS + 10)
        self._thread = None

    def close(self) -> None:
        """Stop serving for good, and delete the emulator's temporary storage folder."""
        self.stop()
        if self._dispose is not None:
            self._dispose()

    @contextmanager
    def outage(self) -> Iterator[OpenAIEmulator]:
        """The server unreachable (connections refused) inside the block, back on the same port after."""
        self.stop()
        try:
            yield self
        finally:
            self.start()

    def __enter__(self) -> OpenAIEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- how to reach it ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}/v1"

    @property
    def api_key(self) -> str:
        """A key the emulator accepts."""
        return self._accepted_key or DEFAULT_API_KEY

    def airflow_connection(self, **extra: Any) -> str:
        """The connection as JSON, for ``AIRFLOW_CONN_<CONN_ID>``; ``extra`` goes to extras."""
        return json.dumps({"conn_type": "openai_adv", "host": self.base_url, "password": self.api_key, "extra": extra})

    # -- control --------------------------------------------------------------------------

    @property
    def state(self) -> EmulatorState:
        return self.app.state

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests answered so far (oldest first), with what was answered."""
        return list(self.app.journal)

    def add_fault(self, **fault: Any) -> Fault:
        """Inject a fault; see :class:`~airflow_provider_openai_adv.testing.faults.Fault`."""
        return self.app.faults.add(Fault(**fault))

    def clear_faults(self) -> None:
        self.app.faults.clear()

    def set_rate_limit(self, *, rpm: int | None = None, tpm: int | None = None, path: str = "*") -> RateLimit:
        """Limit requests and tokens per minute, answering like OpenAI once over."""
        return self.app.add_limit(RateLimit(rpm=rpm, tpm=tpm, path=path))

    def set_fine_tune_timings(self, **seconds: float) -> fine_tuning.FineTuneTimings:
        """Emulator-clock seconds new fine-tune jobs spend ``validating``, ``queued``, ``running``."""
        return fine_tuning.set_timings(self.state, **seconds)

    def set_batch_timings(self, **seconds: float) -> batches.BatchTimings:
        """Emulator-clock seconds new batches spend ``validating``, ``per_request`` (each line), ``finalizing``
        and ``cancelling``."""
        return batches.set_timings(self.state, **seconds)

    def set_response_timings(self, **seconds: float) -> responses.ResponseTimings:
        """Emulator-clock seconds new background responses spend ``queued`` and ``in_progress``."""
        return responses.set_timings(self.state, **seconds)

    def set_upload_limits(self, **limits: int) -> uploads.UploadLimits:
        """Smaller limits than OpenAI's, so that tests need not send 64 MB: ``part_bytes``, ``total_bytes``."""
        return uploads.set_limits(self.state, **limits)

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward (jobs progress on it)."""
        self.state.clock.advance(seconds)

    def reset(self) -> None:
        """Back to a fresh emulator: state, faults, limits and journal cleared."""
        self.app.reset()


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the OpenAI emulator in the foreground.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--api-key", default=None, help="accept only this key (default: any key)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--storage-dir", default=None, help="where uploaded files are kept")
    parser.add_argument(
        "--fine-tune-seconds",
        default=None,
        metavar="V,Q,R",
        help="seconds fine-tune jobs spend validating, queued and running (default 1,1,3)",
    )
    parser.add_argument("--ssl-certfile", default=None, help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--ssl-keyfile", default=None, help="and this key (PEM)")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    emulator = OpenAIEmulator(
        args.host,
        args.port,
        api_key=args.api_key,
        latency=args.latency,
        storage_dir=args.storage_dir,
        tls=_tls_files(args.ssl_certfile, args.ssl_keyfile),
    )
    if args.fine_tune_seconds:
        validating, queued, running = (float(part) for part in args.fine_tune_seconds.split(","))
        emulator.set_fine_tune_timings(validating=validating, queued=queued, running=running)
    sock = _bind(args.host, args.port)
    emulator.port = sock.getsockname()[1]
    print(f"OpenAI emulator listening on {emulator.base_url}", flush=True)
    try:
        _uvicorn_server(emulator.app, emulator.tls, args.log_level).run(sockets=[sock])
    finally:
        emulator.close()


def _tls_files(certfile: str | None, keyfile: str | None) -> TLSFiles | None:
    if certfile is None:
        return None
    from airflow_provider_openai_adv.testing.tls import TLSFiles

    return TLSFiles(Path(certfile), Path(keyfile or certfile))


if __name__ == "__main__":
    main()

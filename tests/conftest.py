"""Test set-up shared by the whole suite.

Airflow reads ``AIRFLOW_HOME`` when it is first imported, so a throwaway home is set
here, before any test module imports Airflow. The metadata database is created only
for the tests that need it (``airflow_db``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_DAGS = REPO / "example_dags"
SPEC_DIR = REPO.parent / "shared" / "openai-openapi"

_airflow_home = tempfile.mkdtemp(prefix="openai-adv-airflow-home-")
os.environ["AIRFLOW_HOME"] = _airflow_home
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(EXAMPLE_DAGS)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_airflow_home}/airflow.db"
os.environ.pop("AIRFLOW_CONN_OPENAI_ADV_DEFAULT", None)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """The Airflow metadata tables, created once per test session."""
    from airflow.utils import db

    db.initdb()


@pytest.fixture(autouse=True)
def deferred_waits_start_at_once(monkeypatch):
    """A deferred wait polls at once in tests (in a deployment it settles 15 s first, out of
    Airflow's race window): triggers run inline here, and no scheduler races them.
    ``tests/triggers/test_job.py`` and ``tests/operators/test_fine_tuning_waiting.py`` check
    the settling itself."""
    from airflow_provider_openai_adv.waiting import JobWaiter

    monkeypatch.setattr(JobWaiter, "defer_settle", 0.0)


class SleepRecorder:
    """Stands in for ``time.sleep`` in retry tests: records each wait, waits for none."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on: connections to it are refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(openai_emulator, sleeps):
    """Build an ``OpenAIClient`` for the emulator; keyword arguments override the config."""
    from airflow_provider_openai_adv.client import ClientConfig, OpenAIClient

    clients = []

    def make(**overrides):
        settings = {"api_key": openai_emulator.api_key, "base_url": openai_emulator.base_url, **overrides}
        client = OpenAIClient(ClientConfig(**settings), sleep=sleeps)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


class EmulatorAPI:
    """The emulator seen from outside: a ``requests`` session with its key, paths relative to ``/v1``."""

    def __init__(self, emulator) -> None:
        import requests

        self.base = emulator.base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {emulator.api_key}"

    def request(self, method: str, path: str, **kwargs):
        return self.session.request(method, self.base + path, **kwargs)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def http(openai_emulator):
    """Plain HTTP calls to a fresh emulator, as a client outside the process would make them."""
    api = EmulatorAPI(openai_emulator)
    yield api
    api.session.close()


@pytest.fixture
def post(http):
    return http.post


from tests.dag_runs import make_dag, run_dag  # noqa: E402, F401 - fixtures for every test folder

"""pytest fixtures for DAG authors, registered automatically when this package is installed.

* ``openai_emulator`` — a fresh emulator for the test (state, faults and journal reset),
  with ``AIRFLOW_CONN_OPENAI_ADV_DEFAULT`` pointing at it, so hooks and operators using
  the default connection talk to it.
* ``openai_emulator_server`` — the session-wide server behind it.

Nothing is imported until a fixture is used, so the plugin costs no test run anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.emulator import OpenAIEmulator

CONN_ENV = "AIRFLOW_CONN_OPENAI_ADV_DEFAULT"


@pytest.fixture(scope="session")
def openai_emulator_server() -> Iterator[OpenAIEmulator]:
    from airflow_provider_openai_adv.testing.emulator import OpenAIEmulator

    with OpenAIEmulator() as emulator:
        yield emulator


@pytest.fixture
def openai_emulator(
    openai_emulator_server: OpenAIEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OpenAIEmulator]:
    openai_emulator_server.reset()
    monkeypatch.setenv(CONN_ENV, openai_emulator_server.airflow_connection(max_retries=2))
    yield openai_emulator_server
    openai_emulator_server.reset()

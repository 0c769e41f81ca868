"""An OpenAI emulator for offline DAG tests, demos and benchmarks.

``from airflow_provider_openai_adv.testing import OpenAIEmulator`` — the server only
imports uvicorn when it is used, so importing this package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.emulator import OpenAIEmulator
    from airflow_provider_openai_adv.testing.faults import Fault, RateLimit
    from airflow_provider_openai_adv.testing.tls import TLSFiles

__all__ = ["Fault", "OpenAIEmulator", "RateLimit", "TLSFiles"]


def __getattr__(name: str) -> Any:
    if name == "OpenAIEmulator":
        from airflow_provider_openai_adv.testing.emulator import OpenAIEmulator

        return OpenAIEmulator
    if name in ("Fault", "RateLimit"):
        from airflow_provider_openai_adv.testing import faults

        return getattr(faults, name)
    if name == "TLSFiles":
        from airflow_provider_openai_adv.testing.tls import TLSFiles

        return TLSFiles
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Each layer knows only the ones below it: the pure layers import no Airflow, and a
triggerer's side of the client imports no ``requests``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PURE = (
    "airflow_provider_openai_adv.client.http",
    "airflow_provider_openai_adv.client.aio",
    "airflow_provider_openai_adv.jobs.engine",
    "airflow_provider_openai_adv.jobs.fine_tuning",
    "airflow_provider_openai_adv.jobs.batches",
    "airflow_provider_openai_adv.jobs.responses",
    "airflow_provider_openai_adv.bulk.rows",
    "airflow_provider_openai_adv.bulk.template",
    "airflow_provider_openai_adv.bulk.results",
    "airflow_provider_openai_adv.bulk.batch_files",
    "airflow_provider_openai_adv.bulk.pacing",
    "airflow_provider_openai_adv.bulk.checkpoint",
    "airflow_provider_openai_adv.bulk.direct",
    "airflow_provider_openai_adv.structured",
    "airflow_provider_openai_adv.answers",
    "airflow_provider_openai_adv.training_data",
    "airflow_provider_openai_adv.evaluation",
    "airflow_provider_openai_adv.validation",
    "airflow_provider_openai_adv.safe_json",
    "airflow_provider_openai_adv.exceptions",
)

LOADED = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def top_level_modules_after_importing(module: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", LOADED, module], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("module", PURE)
def test_a_pure_layer_imports_no_airflow(module):
    assert "airflow" not in top_level_modules_after_importing(module)


@pytest.mark.parametrize(
    "module",
    [
        "airflow_provider_openai_adv.client.aio",
        "airflow_provider_openai_adv.jobs.engine",
        "airflow_provider_openai_adv.jobs.batches",
        "airflow_provider_openai_adv.jobs.responses",
        "airflow_provider_openai_adv.triggers.job",
    ],
)
def test_the_triggers_side_imports_no_requests(module):
    assert "requests" not in top_level_modules_after_importing(module)

"""The provider registers with Airflow: package, hook, connection type and its form."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from airflow_provider_openai_adv import __version__
from airflow_provider_openai_adv.get_provider_info import get_provider_info


@pytest.fixture(scope="module")
def providers_manager():
    """What the API server and UI use (connection forms)."""
    from airflow.providers_manager import ProvidersManager

    return ProvidersManager()


@pytest.fixture(scope="module")
def task_runtime_providers():
    """What workers use to find a hook for a connection type."""
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    return ProvidersManagerTaskRuntime()


def test_provider_info_validates_against_airflows_schema():
    import json
    from importlib.resources import files

    import jsonschema

    schema = json.loads(files("airflow").joinpath("provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_the_package_is_listed_with_its_version(providers_manager):
    provider = providers_manager.providers["airflow-provider-openai-adv"]
    assert provider.version == __version__


def test_the_connection_type_maps_to_the_hook(task_runtime_providers):
    hook = task_runtime_providers.hooks["openai_adv"]
    assert hook.hook_class_name == "airflow_provider_openai_adv.hooks.openai_adv.OpenAIAdvHook"
    assert hook.connection_id_attribute_name == "conn_id"
    assert hook.hook_name == "OpenAI Advanced"


def test_the_form_shows_the_extras_with_labels_and_hides_the_rest(providers_manager):
    widgets = providers_manager.connection_form_widgets
    labels = {name: widgets[f"extra__openai_adv__{name}"].field["schema"]["title"] for name in
              ("organization", "project", "timeout", "max_retries", "ca_bundle")}  # fmt: skip
    assert labels == {
        "organization": "Organization ID",
        "project": "Project ID",
        "timeout": "Timeout (seconds)",
        "max_retries": "Max retries",
        "ca_bundle": "CA bundle (path)",
    }
    behaviour = providers_manager.field_behaviours["openai_adv"]
    assert set(behaviour["hidden_fields"]) == {"schema", "login", "port", "extra"}
    assert behaviour["relabeling"] == {"host": "Base URL", "password": "API key"}
    assert behaviour["placeholders"]["host"] == "https://api.openai.com/v1"
    assert behaviour["placeholders"]["extra__openai_adv__organization"].startswith("org-")


def test_the_legacy_form_methods_agree_with_provider_info():
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

    behaviour = get_provider_info()["connection-types"][0]["ui-field-behaviour"]
    assert OpenAIAdvHook.get_ui_field_behaviour()["hidden_fields"] == behaviour["hidden-fields"]
    assert OpenAIAdvHook.get_ui_field_behaviour()["relabeling"] == behaviour["relabeling"]


def test_airflow_providers_hooks_lists_openai_adv():
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "hooks", "--output", "plain"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("openai_adv"))
    assert "airflow_provider_openai_adv.hooks.openai_adv.OpenAIAdvHook" in line


def test_every_module_named_in_provider_info_imports():
    import importlib

    info = get_provider_info()
    for section in ("hooks", "operators", "sensors", "triggers"):
        for entry in info[section]:
            for module in entry["python-modules"]:
                importlib.import_module(module)
    for link in info["extra-links"]:
        module, name = link.rsplit(".", 1)
        assert getattr(importlib.import_module(module), name)().name == "OpenAI fine-tuning job"


def test_every_operator_module_is_named_in_provider_info():
    from airflow_provider_openai_adv import operators

    (entry,) = get_provider_info()["operators"]
    named = {module.rsplit(".", 1)[1] for module in entry["python-modules"]}
    assert named == set(operators._MODULES)

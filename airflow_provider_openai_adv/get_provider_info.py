"""Provider metadata, read by Airflow through the ``apache_airflow_provider`` entry point.

Airflow 3.2+ builds the connection form from ``conn-fields`` and ``ui-field-behaviour``
here, without importing the hook.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv import __version__

PACKAGE = "airflow_provider_openai_adv"
INTEGRATION = "OpenAI Advanced"
CONN_TYPE = "openai_adv"
DEFAULT_CONN_ID = "openai_adv_default"
HOOK_NAME = "OpenAI Advanced"

# The extras the connection form shows, in one place for the hook and provider info.
CONNECTION_EXTRAS: dict[str, dict[str, Any]] = {
    "organization": {
        "label": "Organization ID",
        "schema": {"type": ["string", "null"]},
        "description": "Sent as OpenAI-Organization (optional).",
    },
    "project": {
        "label": "Project ID",
        "schema": {"type": ["string", "null"]},
        "description": "Sent as OpenAI-Project (optional).",
    },
    "timeout": {
        "label": "Timeout (seconds)",
        "schema": {"type": ["number", "null"], "default": 600},
        "description": "How long to wait for an answer before the request is retried or fails.",
    },
    "max_retries": {
        "label": "Max retries",
        "schema": {"type": ["integer", "null"], "default": 2},
        "description": "Retries of a failed request (rate limits, 5xx, network errors).",
    },
    "ca_bundle": {
        "label": "CA bundle (path)",
        "schema": {"type": ["string", "null"]},
        "description": "A PEM file of the certificate authorities to trust (optional; default: "
        "REQUESTS_CA_BUNDLE or SSL_CERT_FILE, else the certifi roots).",
    },
}
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden_fields": ["schema", "login", "port", "extra"],
    "relabeling": {"host": "Base URL", "password": "API key"},
    "placeholders": {
        "host": "https://api.openai.com/v1",
        "password": "sk-...",
        "organization": "org-... (optional)",
        "project": "proj_... (optional)",
        "timeout": "600",
        "max_retries": "2",
        "ca_bundle": "/etc/ssl/certs/corporate-ca.pem (optional)",
    },
}


def get_provider_info() -> dict[str, Any]:
    behaviour = {
        "hidden-fields": UI_FIELD_BEHAVIOUR["hidden_fields"],
        "relabeling": UI_FIELD_BEHAVIOUR["relabeling"],
        "placeholders": UI_FIELD_BEHAVIOUR["placeholders"],
    }
    return {
        "package-name": "airflow-provider-openai-adv",
        "name": INTEGRATION,
        "description": "Every OpenAI API action as Airflow hooks, operators, sensors and deferrable triggers.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://platform.openai.com/docs/api-reference",
                "tags": ["software"],
            }
        ],
        "hooks": [{"integration-name": INTEGRATION, "python-modules": [f"{PACKAGE}.hooks.openai_adv"]}],
        "operators": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    f"{PACKAGE}.operators.{module}"
                    for module in (
                        "models",
                        "completions",
                        "images",
                        "embeddings",
                        "audio",
                        "files",
                        "fine_tuning",
                        "moderations",
                        "engines",
                        "training_data",
                        "evaluation",
                        "batches",
                        "bulk",
                        "responses",
                        "speech",
                    )  # fmt: skip
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [f"{PACKAGE}.sensors.{module}" for module in ("job", "fine_tuning", "batches")],
            }
        ],
        "triggers": [{"integration-name": INTEGRATION, "python-modules": [f"{PACKAGE}.triggers.job"]}],
        "extra-links": [f"{PACKAGE}.operators.fine_tuning.OpenAIFineTuneJobLink"],
        "connection-types": [
            {
                "hook-class-name": f"{PACKAGE}.hooks.openai_adv.OpenAIAdvHook",
                "hook-name": HOOK_NAME,
                "connection-type": CONN_TYPE,
                "conn-fields": CONNECTION_EXTRAS,
                "ui-field-behaviour": behaviour,
            }
        ],
    }

"""Contract tests need OpenAI's specification from ../shared.

On a developer's machine without it they skip; in CI (``.ci/run`` sets
``OPENAI_ADV_REQUIRE_SPEC=1``) a missing specification fails them instead, so a
contract test can never pass by not running.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import SPEC_DIR

CURRENT = "openapi-current.yaml"
LEGACY = "openapi-2023-legacy.yaml"


def spec_or_skip(name: str) -> None:
    if (SPEC_DIR / name).exists():
        return
    message = f"OpenAI's specification {name} is not at {SPEC_DIR} (it lives in ../shared, beside the checkout)"
    if os.environ.get("OPENAI_ADV_REQUIRE_SPEC"):
        pytest.fail(message + "; OPENAI_ADV_REQUIRE_SPEC is set, so contract tests must run")
    pytest.skip(message)


@pytest.fixture(scope="session")
def current_spec():
    spec_or_skip(CURRENT)
    from tests.contract.openapi import openapi

    return openapi(CURRENT)


@pytest.fixture(scope="session")
def current_document(current_spec):
    from tests.contract.openapi import spec_document

    return spec_document(CURRENT)


@pytest.fixture(scope="session")
def legacy_spec():
    """The 2023 specification, the last with /edits, /fine-tunes and /engines."""
    spec_or_skip(LEGACY)
    from tests.contract.openapi import openapi

    return openapi(LEGACY)


@pytest.fixture(scope="session")
def legacy_document(legacy_spec):
    from tests.contract.openapi import spec_document

    return spec_document(LEGACY)

"""Contract tests need OpenAI's specification from ../shared; without it they skip."""

from __future__ import annotations

import pytest

from tests.conftest import SPEC_DIR

CURRENT = "openapi-current.yaml"
LEGACY = "openapi-2023-legacy.yaml"


@pytest.fixture(scope="session")
def current_spec():
    if not (SPEC_DIR / CURRENT).exists():
        pytest.skip(f"OpenAI's specification is not at {SPEC_DIR} (it lives in ../shared, beside the checkout)")
    from tests.contract.openapi import openapi

    return openapi(CURRENT)


@pytest.fixture(scope="session")
def current_document(current_spec):
    from tests.contract.openapi import spec_document

    return spec_document(CURRENT)


@pytest.fixture(scope="session")
def legacy_spec():
    """The 2023 specification, the last with /edits, /fine-tunes and /engines."""
    if not (SPEC_DIR / LEGACY).exists():
        pytest.skip(f"OpenAI's 2023 specification is not at {SPEC_DIR}")
    from tests.contract.openapi import openapi

    return openapi(LEGACY)


@pytest.fixture(scope="session")
def legacy_document(legacy_spec):
    from tests.contract.openapi import spec_document

    return spec_document(LEGACY)

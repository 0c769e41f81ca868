"""In CI a contract test cannot pass by not running: a missing specification fails it."""

from __future__ import annotations

import pytest

from tests.contract import conftest


def test_a_missing_spec_skips_on_a_developers_machine(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SPEC_DIR", tmp_path)
    monkeypatch.delenv("OPENAI_ADV_REQUIRE_SPEC", raising=False)
    with pytest.raises(pytest.skip.Exception):
        conftest.spec_or_skip(conftest.CURRENT)


def test_a_missing_spec_fails_where_it_is_required(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SPEC_DIR", tmp_path)
    monkeypatch.setenv("OPENAI_ADV_REQUIRE_SPEC", "1")
    with pytest.raises(pytest.fail.Exception, match="contract tests must run"):
        conftest.spec_or_skip(conftest.CURRENT)

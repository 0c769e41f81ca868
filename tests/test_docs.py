"""The docs state figures the tests hold; keep them in step."""

from __future__ import annotations

import re

from tests.conftest import REPO


def test_the_reliability_doc_counts_the_catalogue_as_it_is():
    from tests.test_bad_inputs import CASES

    text = (REPO / "docs" / "reliability.md").read_text()
    (stated,) = re.findall(r"holds\s+(\d+)\s+bad inputs", text)
    families = re.findall(r"^\| [a-z-]+(?: check)? \| (\d+) \|", text, flags=re.MULTILINE)
    assert int(stated) == len(CASES) == sum(map(int, families))


def test_the_reliability_doc_lists_every_cell_of_the_fault_matrix():
    from tests.test_fault_matrix import MATRIX

    text = (REPO / "docs" / "reliability.md").read_text()
    section = text.split("## The fault matrix", 1)[1].split("More cells", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| fault")]
    assert len(rows) == len(MATRIX)

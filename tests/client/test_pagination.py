"""Cursor pagination: every page, or just ``limit`` items, in as few requests as possible."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.client.multipart import FilePart
from airflow_provider_openai_adv.client.pagination import iter_items
from airflow_provider_openai_adv.exceptions import InvalidResponseError, OpenAIAdvError, OpenAIValidationError


@pytest.fixture
def seven_files(make_client):
    client = make_client()
    return [
        client.upload("files", {"purpose": "batch"}, [FilePart.from_bytes("file", b"{}\n", f"f{i}.jsonl")])["id"]
        for i in range(7)
    ]


def list_requests(emulator):
    return [entry for entry in emulator.requests if entry.method == "GET" and entry.path == "/v1/files"]


def test_all_pages_are_followed_with_after_cursors(openai_emulator, make_client, seven_files):
    items = list(make_client().paginate("files", {"order": "asc"}, page_size=3))
    assert [item["id"] for item in items] == seven_files
    queries = [entry.query for entry in list_requests(openai_emulator)]
    assert queries == [
        {"order": "asc", "limit": "3"},
        {"order": "asc", "limit": "3", "after": seven_files[2]},
        {"order": "asc", "limit": "3", "after": seven_files[5]},
    ]


def test_limit_stops_early_and_asks_no_more_than_needed(openai_emulator, make_client, seven_files):
    items = list(make_client().paginate("files", {"order": "asc"}, limit=2))
    assert [item["id"] for item in items] == seven_files[:2]
    assert [entry.query["limit"] for entry in list_requests(openai_emulator)] == ["2"]


def test_a_non_positive_limit_is_refused():
    with pytest.raises(OpenAIValidationError, match="limit"):
        list(iter_items(lambda params: {"data": []}, limit=0))


def test_a_server_that_repeats_its_cursor_does_not_loop_forever():
    page = {"data": [{"id": "a"}], "has_more": True}
    with pytest.raises(OpenAIAdvError, match="no new cursor"):
        list(iter_items(lambda params: page))


@pytest.mark.parametrize(
    "page",
    [None, [], "text", {"data": None}, {"data": "x"}, {"data": [1, 2]}, {"data": [{"id": "a"}, None]}],
    ids=repr,
)
def test_a_page_that_is_not_a_list_object_is_our_error(page):
    with pytest.raises(InvalidResponseError):
        list(iter_items(lambda params: page))


def test_a_server_whose_has_more_never_ends_is_not_followed_for_ever():
    pages = iter(range(10**9))

    def endless(params):
        number = next(pages)
        return {"data": [{"id": f"item-{number}"}], "has_more": True}

    with pytest.raises(InvalidResponseError, match="after 50 pages"):
        list(iter_items(endless, max_pages=50))


def test_a_cursor_that_is_not_text_is_refused():
    with pytest.raises(InvalidResponseError, match="no new cursor"):
        list(iter_items(lambda params: {"data": [{"id": 7}], "has_more": True}))

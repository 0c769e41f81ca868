"""Properties of cursor pagination: whatever pages a server sends, items or
``InvalidResponseError``, and never a list followed for ever."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_openai_adv.client.pagination import Cursors, checked_page, iter_items, iter_pages
from airflow_provider_openai_adv.exceptions import InvalidResponseError
from tests.strategies import TRICKY_TEXT, bounded, json_values

ODD = json_values(6)
ITEMS = st.one_of(st.dictionaries(st.sampled_from(["id", "object", "x"]), st.one_of(TRICKY_TEXT, ODD), max_size=3), ODD)
PAGES = st.one_of(
    ODD,
    st.fixed_dictionaries(
        {},
        optional={
            "data": st.one_of(st.lists(ITEMS, max_size=4), ODD),
            "has_more": st.one_of(st.booleans(), ODD),
            "last_id": st.one_of(TRICKY_TEXT, ODD),
            "object": st.just("list"),
        },
    ),
)


@bounded(100)
@given(PAGES)
def test_a_page_is_checked_or_refused(page):
    try:
        checked = checked_page(page)
    except InvalidResponseError:
        return
    assert checked is page and isinstance(page["data"], list)
    assert all(isinstance(item, dict) for item in page["data"])
    try:
        cursor = Cursors(5).next(checked)
    except InvalidResponseError:
        return
    assert cursor is None or (isinstance(cursor, str) and cursor)


@bounded(80)
@given(st.lists(PAGES, min_size=1, max_size=6), st.sampled_from([None, 1, 3, 50]), st.sampled_from([None, 2, 100]),
       st.integers(1, 8))  # fmt: skip
def test_any_pages_give_items_or_invalid_response_and_the_fetches_are_bounded(pages, limit, page_size, max_pages):
    fetched = []

    def fetch(params):
        fetched.append(dict(params))
        return pages[(len(fetched) - 1) % len(pages)]  # the server repeats itself, for ever if let

    items = []
    try:
        for item in iter_items(fetch, {"order": "desc"}, limit=limit, page_size=page_size, max_pages=max_pages):
            items.append(item)
    except InvalidResponseError:
        pass
    assert all(isinstance(item, dict) for item in items)
    assert len(fetched) <= max_pages
    if limit is not None:
        assert len(items) <= limit
        assert all(params["limit"] <= limit for params in fetched)


@bounded(60)
@given(st.integers(1, 30), st.integers(1, 3), st.booleans())
def test_a_server_always_saying_has_more_with_new_cursors_stops_at_max_pages(max_pages, per_page, use_last_id):
    counter = itertools.count()

    def fetch(params):
        data = [{"id": f"item-{next(counter)}"} for _ in range(per_page)]
        page = {"object": "list", "data": data, "has_more": True}
        if use_last_id:
            page["last_id"] = f"cursor-{next(counter)}"
        return page

    seen = 0
    with pytest.raises(InvalidResponseError, match="still said has_more"):
        for _ in iter_pages(fetch, max_pages=max_pages):
            seen += 1
            assert seen <= max_pages
    assert seen == max_pages

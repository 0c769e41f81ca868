"""Cursor pagination: OpenAI's ``has_more`` / ``after`` lists, as generators.

A list answer looks like ``{"object": "list", "data": [...], "has_more": true,
"last_id": "..."}``; the next page is asked for with ``after=<id of the last item>``.
Lists that are not paginated (``/models``) simply carry no ``has_more``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_openai_adv.exceptions import OpenAIAdvError, OpenAIValidationError

FetchPage = Callable[[dict[str, Any]], dict[str, Any]]


def iter_pages(fetch: FetchPage, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Yield each page (the whole list answer), following ``after`` cursors."""
    params = dict(params or {})
    seen_cursors: set[str] = set()
    while True:
        page = fetch(params)
        yield page
        data = page.get("data") or []
        if not page.get("has_more") or not data:
            return
        cursor = page.get("last_id") or data[-1].get("id")
        if not cursor or cursor in seen_cursors:
            raise OpenAIAdvError(f"the server said has_more but gave no new cursor (after={cursor!r})")
        seen_cursors.add(cursor)
        params["after"] = cursor


def iter_items(
    fetch: FetchPage,
    params: dict[str, Any] | None = None,
    *,
    limit: int | None = None,
    page_size: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the items of every page, stopping after ``limit`` items when given.

    :param page_size: items asked for per request (the endpoint's ``limit`` parameter);
        never more than ``limit`` needs.
    """
    if limit is not None and limit < 1:
        raise OpenAIValidationError(f"limit must be a positive number of items, got {limit!r}")
    params = dict(params or {})
    wanted = [size for size in (page_size, limit) if size]
    if wanted:
        params["limit"] = min(wanted)
    remaining = limit
    for page in iter_pages(fetch, params):
        for item in page.get("data") or []:
            yield item
            if remaining is not None:
                remaining -= 1
                if remaining == 0:
                    return

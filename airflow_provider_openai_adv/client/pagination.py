"""Cursor pagination: OpenAI's ``has_more`` / ``after`` lists, as generators.

A list answer looks like ``{"object": "list", "data": [...], "has_more": true,
"last_id": "..."}``; the next page is asked for with ``after=<id of the last item>``.
Lists that are not paginated (``/models``) simply carry no ``has_more``.

Pages come from a server and are checked like any hostile input: a page that is not an
object with a list of objects in ``data`` raises :class:`InvalidResponseError`, and so
does a server that keeps saying ``has_more`` without a new cursor, or for more than
``max_pages`` pages — a list is never followed for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_openai_adv.exceptions import InvalidResponseError, OpenAIValidationError

FetchPage = Callable[[dict[str, Any]], Any]
MAX_PAGES = 10_000  # a million files at 100 a page; a list longer than that is a broken server


def iter_pages(
    fetch: FetchPage, params: dict[str, Any] | None = None, *, max_pages: int = MAX_PAGES
) -> Iterator[dict[str, Any]]:
    """Yield each page (the whole list answer, checked), following ``after`` cursors."""
    params = dict(params or {})
    cursors = Cursors(max_pages)
    while True:
        page = checked_page(fetch(params))
        yield page
        after = cursors.next(page)
        if after is None:
            return
        params["after"] = after


class Cursors:
    """The ``after`` cursor of each next page, refusing a list that would never end."""

    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self.max_pages = max_pages
        self.seen: set[str] = set()

    def next(self, page: dict[str, Any]) -> str | None:
        """The cursor for the page after ``page`` (checked), or ``None`` when it was the last."""
        data = page["data"]
        if not page.get("has_more") or not data:
            return None
        cursor = page.get("last_id") or data[-1].get("id")
        if not isinstance(cursor, str) or not cursor or cursor in self.seen:
            raise InvalidResponseError(f"the server said has_more but gave no new cursor (after={cursor!r})")
        if len(self.seen) + 1 >= self.max_pages:
            raise InvalidResponseError(f"the server still said has_more after {self.max_pages} pages; stopped")
        self.seen.add(cursor)
        return cursor


def checked_page(page: Any) -> dict[str, Any]:
    """``page`` if it is a list answer: an object whose ``data`` is a list of objects."""
    if not isinstance(page, dict):
        raise InvalidResponseError(f"expected a list object, got {type(page).__name__}")
    data = page.get("data")
    if not isinstance(data, list):
        raise InvalidResponseError(f"expected a list object with a 'data' list, got 'data' of {type(data).__name__}")
    odd = [type(item).__name__ for item in data if not isinstance(item, dict)]
    if odd:
        raise InvalidResponseError(f"expected objects in 'data', got {odd[0]}")
    return page


def iter_items(
    fetch: FetchPage,
    params: dict[str, Any] | None = None,
    *,
    limit: int | None = None,
    page_size: int | None = None,
    max_pages: int = MAX_PAGES,
) -> Iterator[dict[str, Any]]:
    """Yield the items of every page, stopping after ``limit`` items when given.

    :param page_size: items asked for per request (the endpoint's ``limit`` parameter);
        never more than ``limit`` needs.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise OpenAIValidationError(f"limit: must be a positive number of items, got {limit!r}")
    params = dict(params or {})
    wanted = [size for size in (page_size, limit) if size]
    if wanted:
        params["limit"] = min(wanted)
    remaining = limit
    for page in iter_pages(fetch, params, max_pages=max_pages):
        for item in page["data"]:
            yield item
            if remaining is not None:
                remaining -= 1
                if remaining == 0:
                    return

"""Endpoint paths with ids in them, each id one percent-encoded path segment.

An id comes from a template, an XCom or a server; put into a path as it is,
``file_id="../models/ft:x"`` turns ``DELETE /files/{file_id}`` into ``DELETE /models/ft:x``,
and ``"file-abc?purpose=x"`` adds a query. So the clients take a path *template*
(``"files/{file_id}/content"``) and the ids separately, and :func:`endpoint` is the only
place ids enter a path: each becomes exactly one segment (RFC 3986 ``pchar``: ``/``,
``?``, ``#`` and ``%`` are encoded; ``:`` and ``@`` stay, as in fine-tuned model ids),
and ``.`` / ``..`` are refused. An id that is missing, empty, or the text ``None`` (what
a template renders for a missing XCom) is refused before any request, naming the
argument — the template's placeholder is the argument's name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from airflow_provider_openai_adv.exceptions import OpenAIValidationError

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_TEMPLATE = re.compile(r"^[a-z0-9_\-/.{}]+$")  # literal parts are plain API path words
_SEGMENT_SAFE = "!$&'()*+,;=:@"  # RFC 3986 sub-delims, ':' and '@'; unreserved are always safe
_RENDERED_NOTHING = frozenset({"none", "null"})


def endpoint(template: str, ids: Mapping[str, Any] | None = None) -> str:
    """``endpoint("files/{file_id}", {"file_id": "file-a/b"})`` → ``"files/file-a%2Fb"``."""
    if not _TEMPLATE.match(template) or ".." in template:
        raise ValueError(f"not an endpoint template: {template!r}")  # a bug in the caller, not user input
    ids = ids or {}
    names = _PLACEHOLDER.findall(template)
    if set(names) != set(ids):
        raise ValueError(f"endpoint {template!r} takes ids {names}, got {sorted(ids)}")
    return _PLACEHOLDER.sub(lambda match: path_segment(match.group(1), ids[match.group(1)]), template)


def path_segment(name: str, value: Any) -> str:
    """``value`` as one encoded path segment; refused, naming ``name``, when it cannot be an id."""
    if not isinstance(value, str):
        raise OpenAIValidationError(f"{name}: expected an id (text), got {type(value).__name__}")
    if not value.strip():
        raise OpenAIValidationError(f"{name}: must not be empty")
    if value.strip().lower() in _RENDERED_NOTHING:
        raise OpenAIValidationError(f"{name}: {value!r} is not an id (did a template render a missing value?)")
    if value.strip(".") == "":
        raise OpenAIValidationError(f"{name}: {value!r} is not an id")
    return quote(value, safe=_SEGMENT_SAFE)

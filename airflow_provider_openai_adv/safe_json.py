"""JSON from sources we do not trust: servers, streams, users' files.

``json.loads`` recurses once per level of nesting, so about a thousand nested brackets
raise ``RecursionError`` — and a value that loaded just under that limit can still
break any recursive code that walks it later. :func:`loads` refuses JSON nested deeper
than :data:`MAX_DEPTH` (far more than any OpenAI answer or training example uses)
with :class:`UnsafeJSONError`, a ``ValueError``, and never raises anything else.
Pure Python, no Airflow import.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 128

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class UnsafeJSONError(ValueError):
    """Text that is not JSON, or JSON nested too deeply to handle safely."""


def loads(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH) -> Any:
    """Decode ``data``; :class:`UnsafeJSONError` (saying why) for anything but sane JSON."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise UnsafeJSONError(f"not UTF-8 text (byte {error.start})") from None
    try:
        value = json.loads(data)
    except RecursionError:
        raise UnsafeJSONError("JSON nested too deeply") from None
    except json.JSONDecodeError as error:
        raise UnsafeJSONError(f"not valid JSON ({error.msg}, column {error.colno})") from None
    except ValueError as error:  # e.g. a number with more digits than Python converts
        raise UnsafeJSONError(f"not valid JSON ({error})") from None
    if data.count("[") + data.count("{") > max_depth and nesting_depth(data) > max_depth:
        raise UnsafeJSONError(f"JSON nested more than {max_depth} levels deep")
    return value


def nesting_depth(text: str) -> int:
    """How deeply the arrays and objects of valid JSON ``text`` nest (strings ignored)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest

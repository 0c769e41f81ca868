"""OpenAI's ``x-ratelimit-*`` response headers, parsed.

OpenAI reports on every answer how many requests and tokens remain in the current
window and when each window resets (``"1s"``, ``"6m0s"``, ``"20ms"``). Later work uses
this to size concurrency; for now it is exposed on every response.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str | None) -> float | None:
    """``"6m0s"`` → 360.0, ``"20ms"`` → 0.02, ``"1.5"`` → 1.5; ``None`` when unreadable."""
    if not text:
        return None
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class RateLimitInfo:
    """The request and token windows as the server last reported them."""

    limit_requests: int | None = None
    remaining_requests: int | None = None
    reset_requests: float | None = None  # seconds until the request window resets
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_tokens: float | None = None  # seconds until the token window resets

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitInfo | None:
        """Read the headers; ``None`` when the answer carries none of them."""
        get = headers.get
        info = cls(
            limit_requests=_int_or_none(get("x-ratelimit-limit-requests")),
            remaining_requests=_int_or_none(get("x-ratelimit-remaining-requests")),
            reset_requests=parse_duration(get("x-ratelimit-reset-requests")),
            limit_tokens=_int_or_none(get("x-ratelimit-limit-tokens")),
            remaining_tokens=_int_or_none(get("x-ratelimit-remaining-tokens")),
            reset_tokens=parse_duration(get("x-ratelimit-reset-tokens")),
        )
        return None if info == cls() else info

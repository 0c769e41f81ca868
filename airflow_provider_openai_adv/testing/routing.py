"""Routes and routers: ``(method, path)`` to a handler, matched on the raw path.

Matching works on the path as it was sent, still percent-encoded, split on ``/``; only
then is each path parameter decoded. So ``/v1/files/file-a%2F..%2Fmodels`` is one
segment, the file id ``file-a/../models``, and never reaches another route, while
``/v1/models/ft%3Agpt-4o-mini%3Aorg%3A%3Aabc`` is the model ``ft:gpt-4o-mini:org::abc``.
Fixed paths are compared raw too: ``/v1/mod%65ls`` is not ``/v1/models``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from airflow_provider_openai_adv.testing.http import Request, Response

Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """``path`` is relative to the router's prefix; ``{name}`` stands for one whole segment."""

    method: str
    path: str
    handler: Handler


@dataclass(frozen=True)
class _Pattern:
    method: str
    segments: tuple[str | None, ...]  # a literal segment, or None where a parameter goes
    names: tuple[str, ...]  # the parameters' names, in order
    handler: Handler

    def match(self, segments: list[str]) -> dict[str, str] | None:
        values = []
        for expected, given in zip(self.segments, segments, strict=True):
            if expected is None:
                if not given:
                    return None
                values.append(unquote(given))
            elif expected != given:
                return None
        return dict(zip(self.names, values, strict=True))


class Router:
    """The routes under one prefix (``/v1``, ``/_emulator``...); built once, then only read."""

    def __init__(self, prefix: str = "", routes: Iterable[Route] = ()) -> None:
        self.prefix = prefix
        self._fixed: dict[tuple[str, str], Handler] = {}
        self._patterns: dict[int, list[_Pattern]] = {}  # by number of segments
        for route in routes:
            self.add(route)

    def add(self, route: Route) -> None:
        if "{" not in route.path:
            self._fixed[(route.method, route.path)] = route.handler
            return
        segments = route.path.split("/")
        literals = tuple(None if part.startswith("{") else part for part in segments)
        names = tuple(part[1:-1] for part in segments if part.startswith("{"))
        self._patterns.setdefault(len(segments), []).append(_Pattern(route.method, literals, names, route.handler))

    def resolve(self, method: str, raw_path: str) -> tuple[Handler | None, dict[str, str], bool]:
        """The handler and decoded path parameters; the flag says whether the path exists at all."""
        if not raw_path.startswith(self.prefix + "/"):
            return None, {}, False
        path = raw_path[len(self.prefix) :]
        handler = self._fixed.get((method, path))
        if handler is not None:
            return handler, {}, True
        path_known = any(known == path for _, known in self._fixed)
        segments = path.split("/")
        for pattern in self._patterns.get(len(segments), ()):
            params = pattern.match(segments)
            if params is None:
                continue
            if pattern.method == method:
                return pattern.handler, params, True
            path_known = True
        return None, {}, path_known

"""Hypothesis strategies and settings shared by the property tests (``test_*_properties.py``).

The properties check that every parser of hostile bytes — a server's answers and streams,
a user's files — raises only this package's errors, whatever it is fed. They run in the
normal suite, so they are bounded: each test names a modest ``max_examples`` through
:func:`bounded`, every example has a deadline, and the default profile is derandomized
(the same examples on every run, so CI is reproducible) and keeps no example database
in the work tree.

``HYPOTHESIS_PROFILE=openai_adv-explore`` runs ten times the examples, randomized, for
a deeper local search (``openai_adv-ci`` is the default).
"""

from __future__ import annotations

import json
import os
import re
import string
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "openai_adv-ci",
    derandomize=True,
    database=None,
    deadline=2000,  # ms; generous, as a 2-core CI machine runs other work alongside
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("openai_adv-explore", settings.get_profile("openai_adv-ci"), derandomize=False, deadline=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "openai_adv-ci")
_SCALE = 10 if PROFILE == "openai_adv-explore" else 1
_BASE = settings.get_profile(PROFILE if PROFILE.startswith("openai_adv-") else "openai_adv-ci")


def bounded(max_examples: int, **overrides: Any) -> settings:
    """The shared profile with this test's example budget (scaled up by the explore profile)."""
    return settings(_BASE, max_examples=max_examples * _SCALE, **overrides)


def over_http(max_examples: int, **overrides: Any) -> settings:
    """For properties that use a function-scoped fixture (the emulator) across examples: each
    example resets what it changes (the emulator's faults) itself."""
    suppressed = [*_BASE.suppress_health_check, HealthCheck.function_scoped_fixture]
    return bounded(max_examples, suppress_health_check=suppressed, **overrides)


# -- JSON ---------------------------------------------------------------------------------

# Text that exercises the JSON encoder and the bracket scanner: quotes, backslashes,
# brackets inside strings, control characters, lone surrogates, line separators.
TRICKY_TEXT = st.one_of(
    st.text(max_size=12),
    st.text(alphabet='[]{}"\\/:,\u2028\u2029\x00\x1f\n\r\t \u00e9\U0001f600\ud800', max_size=12),
    st.sampled_from(["", "[DONE]", "data: x", "\\u002d", "sk-proj-abc", "null", "}{", '"]', "\\"]),
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**300), 2**63, 0.1, 1e308, -0.0]),
    st.floats(allow_nan=False, allow_infinity=False),
    TRICKY_TEXT,
)


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value (no NaN, so values compare equal to themselves)."""
    return st.recursive(
        JSON_SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY_TEXT, inner, max_size=4),
        max_leaves=max_leaves,
    )


def depth_of(value: Any) -> int:
    """Reference nesting depth of a decoded JSON value: 0 for a scalar, 1 for ``[]``."""
    if isinstance(value, list):
        return 1 + max((depth_of(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(item) for item in value.values()), default=0)
    return 0


@st.composite
def deep_json(draw: st.DrawFn, min_depth: int = 1, max_depth: int = 3000) -> str:
    """Arrays and objects nested ``depth`` deep, as text (some too deep for ``json``)."""
    depth = draw(st.one_of(st.integers(min_depth, max_depth), st.sampled_from([127, 128, 129, 1000, 100_000])))
    depth = max(min_depth, min(depth, 100_000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('[{"data":', "}]"), ('{"error":', "}")]))
    core = draw(st.sampled_from(["1", '"x"', "[]", "{}", "null"]))
    closed = draw(st.booleans()) or depth > 5000
    return opener * depth + core + (closer * depth if closed else "")


def nested(depth: int, leaf: Any = None) -> Any:
    """A decoded value nested ``depth`` lists deep (``depth`` 0: the leaf)."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def json_text(value: Any, draw: st.DrawFn) -> str:
    """``value`` as JSON text, in one of the spellings a server may use."""
    return draw(
        st.sampled_from(
            [
                json.dumps(value),
                json.dumps(value, ensure_ascii=False),
                json.dumps(value, indent=1),
                json.dumps(value, separators=(",", ":")),
            ]
        )
    )


# Bodies a server, a proxy or a captive portal may send with status 200.
ODD_BODY_SAMPLES = [
    "",
    " ",
    "{}",
    "[]",
    "null",
    "true",
    "0",
    '"text"',
    "<html><body>Sign in to the Wi-Fi</body></html>",
    "\ufeff{}",
    '{"data": null}',
    '{"data": {}}',
    '{"data": "abc"}',
    '{"data": [1, "x", null]}',
    '{"data": [{}], "has_more": true}',
    '{"data": [{"id": 5}], "has_more": "yes"}',
    '{"data": [{"id": "a"}], "has_more": true, "last_id": ["b"]}',
    '{"choices": null}',
    '{"choices": 5}',
    '{"choices": "abc"}',
    '{"choices": [null, 1, "x"]}',
    '{"choices": [{"message": "hi"}]}',
    '{"choices": [{"message": {"content": 5}, "index": "z"}]}',
    '{"choices": {"0": {}}}',
    '{"results": null}',
    '{"error": null}',
    '{"error": "boom"}',
    '{"id": 5, "status": ["running"]}',
    '{"object": "list", "data": [{"id": "m", "owned_by": {"x": 1}}]}',
    '{"usage": "lots"}',
    "1e999",
    "9" * 5000,
    '{"a": "\\ud800"}',
    '{"a": 1, "a": 2}',
    "[" * 200 + "]" * 200,
    '{"data": ' * 200 + "[]" + "}" * 200,
    "[" * 100_000,
]


@st.composite
def odd_bodies(draw: st.DrawFn) -> str:
    """A 200 body: one of the odd ones above, nested values in ``data`` or ``choices``, or any JSON."""
    kind = draw(st.integers(0, 4))
    if kind <= 1:
        return draw(st.sampled_from(ODD_BODY_SAMPLES))
    if kind == 2:
        key = draw(st.sampled_from(["data", "choices", "results", "id", "status", "error"]))
        return json.dumps({key: draw(json_values(8))})
    if kind == 3:
        return json.dumps(draw(json_values(10)))
    return draw(deep_json(max_depth=400))


# -- streams ------------------------------------------------------------------------------

LINE_ENDS = [b"\n", b"\r\n", b"\r"]


@st.composite
def sse_streams(draw: st.DrawFn, payloads: st.SearchStrategy[bytes] | None = None) -> bytes:
    """Bytes shaped like a server-sent-events stream, with hostile lines mixed in."""
    payloads = (
        payloads
        if payloads is not None
        else st.one_of(
            st.builds(lambda value: json.dumps(value).encode(), json_values(6)),
            st.sampled_from([b"[DONE]", b"", b"{", b'{"error": {"message": "x"}}', b'"str"', b"\xff\xfe", b"null"]),
            st.sampled_from(["15", "\u00b2", "\u0661\u0662", "-1", " 7", "9" * 5000]).map(str.encode),  # retry values
            st.text(max_size=8).map(lambda text: text.encode("utf-8", "surrogatepass")),
            st.binary(max_size=20),
        )
    )
    parts = []
    for _ in range(draw(st.integers(0, 8))):
        field = draw(st.sampled_from([b"data", b"data", b"event", b"id", b"retry", b"", b":", b"x"]))
        space = draw(st.sampled_from([b": ", b":", b""]))
        parts.append(field + space + draw(payloads) + draw(st.sampled_from(LINE_ENDS)))
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(LINE_ENDS)))
    if draw(st.integers(0, 4)) == 0:
        parts.append(draw(st.binary(max_size=40)))
    return b"".join(parts)


@st.composite
def chunked(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut at arbitrary points, empty chunks included."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    bounds = [0, *cuts, len(data)]
    return [data[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


API_KEYS = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(["sk-", "sk-proj-", "sess-", ""]),
    st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=8, max_size=24),
)


def json_escaped(key: str, draw: st.DrawFn) -> str:
    """``key`` inside a JSON string, some or all of its characters as ``\\uXXXX``."""
    mask = draw(st.lists(st.booleans(), min_size=len(key), max_size=len(key)))
    return "".join(f"\\u{ord(char):04x}" if escape else char for char, escape in zip(key, mask, strict=True))


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def unescaped(text: str) -> str:
    """``text`` with its ``\\uXXXX`` escapes decoded: how a reader would see a JSON excerpt."""
    return _UNICODE_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text.replace("\\\\", "\\"))

"""Values that satisfy a JSON schema: what the emulated model answers in structured outputs
and tool-call arguments.

:func:`value_for_schema` covers what OpenAI accepts in strict structured-output mode:
``type`` (a name or a list, ``"null"`` included), objects (``properties``, ``required``,
``additionalProperties``), arrays (``items``, ``minItems``, ``maxItems``), ``enum``,
``const``, ``anyOf``, ``$ref`` (``#``, ``#/$defs/...``, ``#/definitions/...``, any JSON
pointer into the schema), strings (``minLength``, ``maxLength``, ``format``, ``pattern``),
numbers and integers (``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``,
``multipleOf``); and, beyond it, ``allOf`` (its branches' keywords merged) and ``oneOf``
(taken as ``anyOf``: that no other branch matches too is not checked). Other keywords are
ignored.

Values are deterministic. Strings are ``text`` (the prompt-derived reply), cut or padded
to the length bounds, where no format or pattern rules it out; a pattern's string is
written from Python's parse of the regular expression, with ``text``'s characters where a
character class admits them. An enum takes a value that ``text`` names, else its first.
Arrays have one item (or ``minItems``); a schema without ``required`` gets all its properties.

Hostile schemas end, one way or the other, in bounded time and space:

* past :data:`SHORT_FROM_DEPTH` levels of schema (references and branches count), a
  branch or type list takes its shortest option first (``null``, then a scalar, then a
  container, another choice of branches last), arrays their ``minItems`` and objects only
  what they require, so a recursive schema with a way out takes it;
* past :data:`MAX_DEPTH` levels, a branch is given up as endless (a required
  self-reference with no way out admits no finite value);
* a value costs :data:`NODE_SIZE` per schema node visited (failed branches included) plus
  the length of its strings, and may cost :data:`MAX_SIZE` in all; one string may have
  :data:`MAX_STRING` characters. A ``minItems`` or ``minLength`` beyond them cannot be met.

What cannot be made raises :class:`SchemaValueError` saying why.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import uuid
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any
from urllib.parse import unquote

try:  # Python 3.11+
    from re import _parser as sre_parse
except ImportError:  # Python 3.10
    import sre_parse  # type: ignore[no-redef]

SHORT_FROM_DEPTH = 8
MAX_DEPTH = 64
NODE_SIZE = 8
MAX_SIZE = 512_000  # about the longest answer OpenAI gives: 128,000 output tokens of 4 characters
MAX_STRING = 100_000
MULTIPLES_TRIED = 1_000  # multiples of ``multipleOf`` tried for one that fits the bounds and the type

FORMAT_VALUES = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
}
IMPLIED_TYPES = (
    (("properties", "required", "additionalProperties"), "object"),
    (("items", "minItems", "maxItems"), "array"),
    (("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"), "number"),
)
PREFERRED_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.@"


class SchemaValueError(ValueError):
    """No value can be made for the schema: it admits none, asks for what the emulator cannot
    write, or needs more than the bounds of this module allow."""


class _OverBudget(SchemaValueError):
    """The size bound ran out: everything stops, no other branch is tried."""


def value_for_schema(schema: dict[str, Any], text: str) -> Any:
    """A value that validates against ``schema``, with ``text`` in its strings where constraints allow."""
    return _Values(schema, text).of(schema, 0)


class _Values:
    """One value being made: the root schema (for references), the text, the size spent."""

    def __init__(self, root: Any, text: str) -> None:
        self.root, self.text, self.size = root, text, 0

    def spend(self, size: int) -> None:
        self.size += size
        if self.size > MAX_SIZE:
            raise _OverBudget(f"the value would be larger than {MAX_SIZE} characters (huge minItems or minLength?)")

    def spent(self, value: Any) -> Any:
        """``value`` (the schema's own, from ``const`` or ``enum``), its size spent."""
        self.spend(len(json.dumps(value, default=str)))
        return value

    def of(self, schema: Any, depth: int) -> Any:
        self.spend(NODE_SIZE)
        if depth > MAX_DEPTH:
            raise SchemaValueError(f"the schema nests deeper than {MAX_DEPTH} levels, or refers to itself without end")
        if schema is True:
            return self.text
        if not isinstance(schema, dict):
            raise SchemaValueError(f"the schema {schema!r} admits no value")
        if "$ref" in schema:
            return self.of(self._referenced(schema), depth + 1)
        if "allOf" in schema:
            return self.of(self._all_of(schema, depth), depth + 1)
        if "const" in schema:
            return self.spent(schema["const"])
        if "enum" in schema:
            return self.spent(self._enum(schema))
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            rest = _without(schema, "anyOf", "oneOf")
            return self._first_of([_merged(rest, branch) for branch in branches], depth)
        kinds = _types(schema)
        if len(kinds) > 1:
            return self._first_of([{**schema, "type": kind} for kind in kinds], depth)
        return self._of_type(kinds[0], schema, depth)

    # -- combining schemas ----------------------------------------------------------------

    def _target(self, reference: str) -> Any:
        if reference == "#":
            return self.root
        if not reference.startswith("#/"):
            raise SchemaValueError(f"only references inside the schema are supported, not {reference!r}")
        node = self.root
        for part in reference[2:].split("/"):
            key = unquote(part).replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(key)] if isinstance(node, list) else node[key]
            except (KeyError, IndexError, TypeError, ValueError):
                raise SchemaValueError(f"the reference {reference!r} points at nothing") from None
        return node

    def _referenced(self, schema: dict[str, Any]) -> Any:
        """The referenced schema, with the keywords beside ``$ref`` applying too."""
        target = self._target(schema["$ref"])
        siblings = _without(schema, "$ref")
        return _merged(siblings, target) if siblings and isinstance(target, dict) else target

    def _resolved(self, schema: Any, depth: int) -> Any:
        """``schema`` with its top-level references followed."""
        while isinstance(schema, dict) and "$ref" in schema:
            depth += 1
            if depth > MAX_DEPTH:
                raise SchemaValueError(f"references lead more than {MAX_DEPTH} times to references")
            schema = self._referenced(schema)
        return schema

    def _all_of(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        merged = _without(schema, "allOf")
        for branch in schema["allOf"]:
            merged = _merged(merged, self._resolved(branch, depth))
        return merged

    def _first_of(self, branches: list[Any], depth: int) -> Any:
        """The value of the first branch that has one, in the order :meth:`_ordered` gives."""
        problem = SchemaValueError("no branch to choose from")
        for branch in self._ordered(branches, depth):
            try:
                return self.of(branch, depth + 1)
            except _OverBudget:
                raise
            except SchemaValueError as error:
                problem = error
        raise SchemaValueError(f"no branch of {len(branches)} admits a value: {str(problem)[:200]}") from problem

    def _ordered(self, branches: list[Any], depth: int) -> list[Any]:
        """Shallow: non-null branches first, a value with content; deep: the shortest first, to end a recursion."""
        if depth < SHORT_FROM_DEPTH:
            return sorted(branches, key=lambda branch: _types(self._peek(branch, depth)) == ["null"])
        return sorted(branches, key=lambda branch: _shortness(self._peek(branch, depth)))

    def _peek(self, branch: Any, depth: int) -> Any:
        """The branch with its references followed; ``{}`` when they lead nowhere (it fails when tried)."""
        try:
            return self._resolved(branch, depth)
        except SchemaValueError:
            return {}

    # -- values of each type ----------------------------------------------------------------

    def _of_type(self, kind: str, schema: dict[str, Any], depth: int) -> Any:
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth)
        if kind == "string":
            return self._string(schema)
        if kind in ("integer", "number"):
            return _number(schema, integral=kind == "integer")
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        raise SchemaValueError(f"unknown type {kind!r}")

    def _enum(self, schema: dict[str, Any]) -> Any:
        options = [value for value in schema["enum"] if _has_type(value, schema.get("type"))]
        if not options:
            raise SchemaValueError(f"no value of the enum {schema['enum']!r} has the type {schema.get('type')!r}")
        named = (value for value in options if isinstance(value, str) and value and _names(self.text, value))
        return next(named, options[0])

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        value = {name: self.of(self._property(schema, name), depth + 1) for name in schema.get("required", [])}
        if "required" not in schema and depth < SHORT_FROM_DEPTH:
            value.update(self._optional_properties(schema.get("properties") or {}, depth))
        self.spend(sum(map(len, value)))
        return value

    @staticmethod
    def _property(schema: dict[str, Any], name: str) -> Any:
        properties = schema.get("properties") or {}
        if name in properties:
            return properties[name]
        others = schema.get("additionalProperties", True)
        if others is False:
            raise SchemaValueError(f"the required property {name!r} is not among the properties, and none other is")
        return others

    def _optional_properties(self, properties: dict[str, Any], depth: int) -> dict[str, Any]:
        """The properties that have a value (a schema without ``required`` gets every one it can)."""
        values = {}
        for name, schema in properties.items():
            try:
                values[name] = self.of(schema, depth + 1)
            except _OverBudget:
                raise
            except SchemaValueError:
                continue
        return values

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        low, high = schema.get("minItems", 0), schema.get("maxItems")
        items = schema.get("items", True)
        if (high is not None and low > high) or (items is False and low > 0):
            raise SchemaValueError(f"no array has between {low} and {high} items of {items!r}")
        count = low if depth >= SHORT_FROM_DEPTH or items is False else max(low, 1)
        count = count if high is None else min(count, high)
        try:
            return [self.of(items, depth + 1) for _ in range(count)]
        except _OverBudget:
            raise
        except SchemaValueError:
            if low == 0:
                return []
            raise

    def _string(self, schema: dict[str, Any]) -> str:
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if low > MAX_STRING:
            raise _OverBudget(f"minLength {low} is over the {MAX_STRING} characters a string may have")
        pattern = schema.get("pattern")
        for candidate in self._strings(schema.get("format"), pattern, low, high):
            if low <= len(candidate) <= (len(candidate) if high is None else high) and _matches(pattern, candidate):
                self.spend(len(candidate))
                return candidate
        raise SchemaValueError(
            f"the emulator cannot write a string of {low} to {high} characters for the format "
            f"{schema.get('format')!r} and the pattern {pattern!r}"
        )

    def _strings(self, form: str | None, pattern: str | None, low: int, high: int | None) -> Iterator[str]:
        """Candidates, best first: the format's value; or the text, then the pattern's strings."""
        if form == "uuid":
            yield str(uuid.UUID(bytes=hashlib.blake2b(_utf8(self.text), digest_size=16).digest(), version=4))
        elif form in FORMAT_VALUES:
            yield FORMAT_VALUES[form]
        else:
            yield self._fitted_text(low, high)
            if pattern is not None:
                for choice, fit in itertools.product(_ALTERNATIVES, (True, False)):
                    yield _PatternWriter(self.text, low, choice, fit=fit).string(pattern)

    def _fitted_text(self, low: int, high: int | None) -> str:
        """The text, cut to ``high`` characters or repeated up to ``low``."""
        text = self.text if high is None else self.text[:high]
        if len(text) < low:
            filler = f"{self.text} " if self.text.strip() else "x"
            text = (filler * (low // len(filler) + 1))[:low]
        return text


# -- schema helpers ---------------------------------------------------------------------------


def _without(schema: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key not in keys}


def _merged(first: dict[str, Any], second: Any) -> Any:
    """Both schemas' keywords (``second``'s winning), their properties and required names united."""
    if not isinstance(second, dict) or not first:
        return second
    merged = {**first, **second}
    if "properties" in first and "properties" in second:
        merged["properties"] = {**first["properties"], **second["properties"]}
    if "required" in first and "required" in second:
        merged["required"] = list(dict.fromkeys([*first["required"], *second["required"]]))
    return merged


def _types(schema: Any) -> list[str]:
    """The types a schema admits, named or implied by its keywords (a string by default)."""
    if not isinstance(schema, dict):
        return []
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list) and kind:
        return list(kind)
    return [next((implied for keys, implied in IMPLIED_TYPES if any(key in schema for key in keys)), "string")]


def _shortness(schema: Any) -> int:
    """How short a branch's value is bound to be: null, then scalars, then containers, more branches last."""
    if not isinstance(schema, dict) or any(key in schema for key in ("$ref", "anyOf", "oneOf", "allOf")):
        return 3
    kinds = _types(schema)
    if "null" in kinds:
        return 0
    return 2 if kinds[0] in ("object", "array") else 1


def _has_type(value: Any, kind: str | list[str] | None) -> bool:
    kinds = [kind] if isinstance(kind, str) else kind
    return not kinds or any(_is(value, name) for name in kinds)


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    types = {"null": type(None), "number": (int, float), "string": str, "array": list, "object": dict}
    return isinstance(value, types.get(kind, ()))


def _names(text: str, word: str) -> bool:
    """Whether ``text`` mentions ``word`` as a word of its own (any case)."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _matches(pattern: str | None, text: str) -> bool:
    """JSON Schema's ``pattern``: a match anywhere in the string."""
    if pattern is None:
        return True
    try:
        return re.search(pattern, text) is not None
    except re.error as error:
        raise SchemaValueError(f"the pattern {pattern!r} is not a regular expression: {error}") from None


# -- numbers ------------------------------------------------------------------------------------


def _number(schema: dict[str, Any], *, integral: bool) -> int | float:
    """The admissible number nearest to 0: within the bounds, a multiple of ``multipleOf``."""
    low, low_open = _bound(schema, "minimum", "exclusiveMinimum", max)
    high, high_open = _bound(schema, "maximum", "exclusiveMaximum", min)
    step = schema.get("multipleOf")

    def admits(number: float) -> bool:
        above = low is None or (number > low if low_open else number >= low)
        below = high is None or (number < high if high_open else number <= high)
        return above and below and (not integral or float(number).is_integer()) and _is_multiple(number, step)

    try:
        plain = _plain_numbers(low, low_open, high, high_open)  # also for a step finer than the floats' there
        candidates = itertools.chain(_multiples(step, low, high, integral), plain) if step else plain
        found = next((number for number in candidates if admits(number)), None)
    except (OverflowError, ValueError, ZeroDivisionError):
        found = None
    if found is None:
        raise SchemaValueError(f"no {'integer' if integral else 'number'} fits {schema!r}")
    return int(found) if isinstance(found, float) and found.is_integer() and abs(found) < 2**53 else found


def _bound(schema: dict[str, Any], inclusive: str, exclusive: str, tighter: Callable[..., float]):
    """The bound that binds on one side, and whether it is exclusive."""
    closed, opened = schema.get(inclusive), schema.get(exclusive)
    if opened is None or isinstance(opened, bool):  # a boolean: draft 4's spelling, not OpenAI's
        return closed, False
    if closed is None:
        return opened, True
    bound = tighter(closed, opened)
    return bound, bound == opened


def _plain_numbers(low: float | None, low_open: bool, high: float | None, high_open: bool) -> Iterator[float]:
    """The integer nearest to 0 within the bounds, then the middle of the bounds."""
    smallest = -math.inf if low is None else math.floor(low) + 1 if low_open else math.ceil(low)
    largest = math.inf if high is None else math.ceil(high) - 1 if high_open else math.floor(high)
    yield max(smallest, min(largest, 0))
    if low is not None and high is not None:
        yield (low + high) / 2


def _multiples(step: float, low: float | None, high: float | None, integral: bool) -> Iterator[float]:
    """Multiples of ``step`` outwards from the one nearest to 0 within the bounds, each also rounded
    (for a multiple that floating point misses, such as 3 × 0.1). An integer is a multiple of
    ``p/q`` (in lowest terms) when it is one of ``p``: integers step by ``p``."""
    unit = Fraction(repr(step)).numerator if integral else step
    first = 0 if low is None else max(0, math.ceil(low / unit))
    if high is not None:
        first = min(first, math.floor(high / unit))
    for distance in range(MULTIPLES_TRIED):
        for index in (first + distance, first - distance):
            yield index * unit
            yield round(index * unit, 9)


def _is_multiple(number: float, step: float | None) -> bool:
    """``multipleOf`` as JSON Schema validators compute it: with a float, the quotient must be whole."""
    if not step:
        return True
    if isinstance(step, float) or isinstance(number, float):
        quotient = number / step
        return math.isfinite(quotient) and quotient.is_integer()
    return number % step == 0


# -- patterns -----------------------------------------------------------------------------------

_ALTERNATIVES = ("first", "longest", "shortest")  # which alternative of ``a|b`` a pattern's strings take, in turn
_CATEGORIES = {
    sre_parse.CATEGORY_DIGIT: re.compile(r"\d"),
    sre_parse.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    sre_parse.CATEGORY_SPACE: re.compile(r"\s"),
    sre_parse.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    sre_parse.CATEGORY_WORD: re.compile(r"\w"),
    sre_parse.CATEGORY_NOT_WORD: re.compile(r"\W"),
}


class _PatternWriter:
    """A string for a regular expression, written from Python's parse of it: an alternative
    by ``choice`` (see :data:`_ALTERNATIVES`), the fewest repeats (more while short of
    ``target``, counting the least that what follows will write; with ``fit``, only while a
    whole repeat fits), ``text``'s characters where a class admits them. Anchors and
    lookarounds write nothing: whether the string matches is checked afterwards."""

    def __init__(self, text: str, target: int, choice: str = "first", *, fit: bool = True) -> None:
        self.text, self.cursor, self.target, self.choice, self.fit = text, 0, target, choice, fit
        self.reserve = 0  # the least the rest of the pattern writes after the current item
        self.rests: dict[int, list[int]] = {}  # that least after each item of a sequence, by sequence
        self.out: list[str] = []
        self.groups: dict[int, str] = {}
        self.plain: dict[Any, str] = {}  # a class's character when the text has none, by class

    def string(self, pattern: str) -> str:
        try:
            parsed = sre_parse.parse(pattern)
        except (re.error, RecursionError) as error:
            message = f"the pattern {pattern!r} is not a regular expression the emulator reads: {error}"
            raise SchemaValueError(message) from None
        self.write(parsed)
        return "".join(self.out)

    def write(self, items: Any) -> None:
        outer = self.reserve
        for (op, argument), rest in zip(items, self._rests(items), strict=True):
            if len(self.out) > MAX_STRING:
                raise _OverBudget(f"a string for this pattern would be longer than {MAX_STRING} characters")
            writer = self.WRITERS.get(op)
            if writer is None:
                raise SchemaValueError(f"the emulator cannot write strings for the regular expression construct {op}")
            self.reserve = outer + rest
            writer(self, argument)
        self.reserve = outer

    def _rests(self, items: Any) -> list[int]:
        """The least each item's followers in ``items`` write."""
        if id(items) not in self.rests:
            widths = [sre_parse.SubPattern(items.state, [item]).getwidth()[0] for item in items]
            self.rests[id(items)] = [sum(widths[index + 1 :]) for index in range(len(widths))]
        return self.rests[id(items)]

    def room(self, least: int = 1) -> bool:
        """Whether the string is short of ``target`` (with ``fit``: by ``least`` characters)."""
        return len(self.out) + self.reserve + (max(least, 1) if self.fit else 1) <= self.target

    def pick(self, admits: Callable[[str], bool], key: Any, seeds: str = "") -> str:
        """The next character of the text that ``admits``, else a plain one (and the text is done)."""
        for index in range(self.cursor, len(self.text)):
            if admits(self.text[index]):
                self.cursor = index + 1
                return self.text[index]
        self.cursor = len(self.text)
        if key not in self.plain:
            found = next((char for char in _fallback_chars(seeds) if admits(char)), None)
            if found is None:
                raise SchemaValueError("a character class of the pattern admits no character the emulator can write")
            self.plain[key] = found
        return self.plain[key]

    def literal(self, code: int) -> None:
        self.out.append(chr(code))

    def not_literal(self, code: int) -> None:
        self.out.append(self.pick(lambda char: char != chr(code), ("not", code)))

    def any_char(self, _: None) -> None:
        self.out.append(self.pick(lambda char: char != "\n", "any"))

    def char_class(self, items: list[tuple[Any, Any]]) -> None:
        self.out.append(self.pick(_class_test(items), id(items), _class_seeds(items)))

    def branch(self, argument: tuple[None, list[Any]]) -> None:
        alternatives = argument[1]
        if self.choice == "longest" and self.room():
            self.write(max(alternatives, key=lambda alternative: alternative.getwidth()[1]))
        elif self.choice == "shortest":
            self.write(min(alternatives, key=lambda alternative: alternative.getwidth()[0]))
        else:
            self.write(alternatives[0])

    def group(self, argument: tuple[int | None, int, int, Any]) -> None:
        number, _, _, items = argument
        start = len(self.out)
        self.write(items)
        if number is not None:
            self.groups[number] = "".join(self.out[start:])

    def group_reference(self, number: int) -> None:
        self.out.extend(self.groups.get(number, ""))

    def group_exists(self, argument: tuple[int, Any, Any]) -> None:
        number, yes, no = argument
        self.write(yes if number in self.groups else no or [])

    def repeat(self, argument: tuple[int, int, Any]) -> None:
        low, high, items = argument
        outer, least = self.reserve, items.getwidth()[0]
        count = 0
        while count < low or (count < high and self.room(least)):
            before = len(self.out)
            self.reserve = outer + max(0, low - count - 1) * least  # the repeats still due follow this one
            self.write(items)
            self.reserve = outer
            count += 1
            if len(self.out) == before:  # an empty body: repeating it writes nothing more
                return

    def nothing(self, _: Any) -> None:
        """Anchors and lookarounds: the whole string is checked afterwards."""

    WRITERS: dict[Any, Callable[[_PatternWriter, Any], None]] = {
        sre_parse.LITERAL: literal,
        sre_parse.NOT_LITERAL: not_literal,
        sre_parse.ANY: any_char,
        sre_parse.IN: char_class,
        sre_parse.BRANCH: branch,
        sre_parse.SUBPATTERN: group,
        sre_parse.GROUPREF: group_reference,
        sre_parse.GROUPREF_EXISTS: group_exists,
        sre_parse.MAX_REPEAT: repeat,
        sre_parse.MIN_REPEAT: repeat,
        sre_parse.AT: nothing,
        sre_parse.ASSERT: nothing,
        sre_parse.ASSERT_NOT: nothing,
    }
    if hasattr(sre_parse, "ATOMIC_GROUP"):  # Python 3.11+: (?>...) and *+
        WRITERS[sre_parse.ATOMIC_GROUP] = write
        WRITERS[sre_parse.POSSESSIVE_REPEAT] = repeat


def _class_test(items: list[tuple[Any, Any]]) -> Callable[[str], bool]:
    """Whether a character is in a class (``[...]``, ``\\d``...)."""
    negated = bool(items) and items[0][0] is sre_parse.NEGATE
    tests = [_member_test(op, argument) for op, argument in items if op is not sre_parse.NEGATE]
    return lambda char: any(test(char) for test in tests) != negated


def _member_test(op: Any, argument: Any) -> Callable[[str], Any]:
    if op is sre_parse.LITERAL:
        return lambda char: char == chr(argument)
    if op is sre_parse.RANGE:
        return lambda char: argument[0] <= ord(char) <= argument[1]
    if op is sre_parse.CATEGORY and argument in _CATEGORIES:
        return _CATEGORIES[argument].fullmatch
    raise SchemaValueError(f"the emulator cannot write characters of the class item {op} {argument}")


def _class_seeds(items: list[tuple[Any, Any]]) -> str:
    """A class's own characters: its literals and the first of each range."""
    firsts = (argument if op is sre_parse.LITERAL else argument[0] for op, argument in items if op in _SEEDED)
    return "".join(map(chr, firsts))


_SEEDED = (sre_parse.LITERAL, sre_parse.RANGE)


def _fallback_chars(seeds: str) -> Iterator[str]:
    """Characters to try when the text has none a class admits: the class's own, plain ones, then any."""
    yield from seeds
    yield from PREFERRED_CHARS
    yield from map(chr, range(0x20, 0x3000))

"""``value_for_schema``: the emulated model's value for a JSON schema validates against it.

The examples state what each keyword gets; the properties check, over schemas Hypothesis
builds from OpenAI's strict structured-output subset (nested objects, arrays, ``anyOf``,
``$ref`` into ``$defs``, ``definitions`` and the root, recursive schemas, formats,
patterns, number bounds), that every value validates with ``jsonschema``, is the same
on every call, and that hostile schemas (endless references, deep nesting, huge
``minItems`` / ``minLength``) end in a bounded value or a ``SchemaValueError``.
"""

from __future__ import annotations

import json
import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from airflow_provider_openai_adv.testing.schema_values import (
    MAX_SIZE,
    SchemaValueError,
    value_for_schema,
)
from tests.strategies import bounded

TEXT = "Emulated reply from gpt-4o-mini: the order 1234 ships on Monday"


def validates(schema, value) -> bool:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return not list(validator.iter_errors(value))


def strict_object(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def chain_node(where: str, value: dict | None = None) -> dict:
    """A linked list's node, defined under ``where``: its ``value`` (if given) and the next node or null."""
    following = {"anyOf": [{"$ref": f"#/{where}/Node"}, {"type": "null"}]}
    return strict_object({**({"value": value} if value is not None else {}), "next": following})


# -- examples -----------------------------------------------------------------------------------


def test_a_nested_model_gets_every_required_property_filled_from_its_definitions():
    schema = {
        **strict_object({"name": {"type": "string"}, "address": {"$ref": "#/$defs/Address"}}),
        "$defs": {"Address": strict_object({"street": {"type": "string"}, "zip": {"type": "integer"}})},
    }
    value = value_for_schema(schema, TEXT)
    assert value == {"name": TEXT, "address": {"street": TEXT, "zip": 0}}
    assert validates(schema, value)


def test_an_optional_field_near_the_top_takes_its_non_null_branch():
    schema = strict_object(
        {
            "age": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "nick": {"anyOf": [{"type": "null"}, {"type": "string"}]},
            "score": {"type": ["null", "number"]},
        }
    )
    assert value_for_schema(schema, TEXT) == {"age": 0, "nick": TEXT, "score": 0}


@pytest.mark.parametrize(
    "schema",
    [
        {"$defs": {"Node": chain_node("$defs")}, "$ref": "#/$defs/Node"},
        {"definitions": {"Node": chain_node("definitions")}, "$ref": "#/definitions/Node"},
        strict_object({"children": {"type": "array", "items": {"$ref": "#"}}}),
    ],
    ids=["$defs", "definitions", "root"],
)
def test_a_recursive_schema_ends_in_its_way_out(schema):
    value = value_for_schema(schema, TEXT)
    assert validates(schema, value)
    assert "null" in json.dumps(value) or "[]" in json.dumps(value)


@pytest.mark.parametrize(
    "schema",
    [
        strict_object({"self": {"$ref": "#"}}),
        {"$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"},
        {"type": "array", "minItems": 1, "items": {"$ref": "#"}},
    ],
    ids=["required-self", "reference-cycle", "non-empty-arrays-of-itself"],
)
def test_a_schema_that_admits_no_finite_value_is_refused(schema):
    with pytest.raises(SchemaValueError, match="deeper than 64 levels|references lead"):
        value_for_schema(schema, TEXT)


def test_a_reference_outside_the_schema_is_refused():
    with pytest.raises(SchemaValueError, match="only references inside the schema"):
        value_for_schema({"$ref": "https://example.com/schema.json"}, TEXT)
    with pytest.raises(SchemaValueError, match="points at nothing"):
        value_for_schema({"$ref": "#/$defs/Missing"}, TEXT)


def test_strings_are_the_text_cut_or_repeated_to_their_length():
    assert value_for_schema({"type": "string"}, TEXT) == TEXT
    assert value_for_schema({"type": "string", "maxLength": 8}, TEXT) == "Emulated"
    padded = value_for_schema({"type": "string", "minLength": 100}, TEXT)
    assert len(padded) == 100 and padded.startswith(TEXT + " Emulated")
    assert value_for_schema({"type": "string", "minLength": 3}, "") == "xxx"


@pytest.mark.parametrize(
    ("form", "value"),
    [
        ("date-time", "2024-01-01T00:00:00Z"),
        ("date", "2024-01-01"),
        ("time", "00:00:00Z"),
        ("duration", "P1D"),
        ("email", "user@example.com"),
        ("hostname", "example.com"),
        ("ipv4", "192.0.2.1"),
        ("ipv6", "2001:db8::1"),
    ],
)
def test_a_format_gets_a_value_of_that_format(form, value):
    assert value_for_schema({"type": "string", "format": form}, TEXT) == value


def test_a_uuid_derives_from_the_text():
    first = value_for_schema({"type": "string", "format": "uuid"}, TEXT)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
    assert first != value_for_schema({"type": "string", "format": "uuid"}, "another text")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"order \d+", TEXT),  # the text matches: it is kept
        (r"^[A-Z]{3}-\d{4}$", "EMA-0000"),  # capitals from the text while it has them, then plain ones
        (r"^\d{3}-\d{2}$", "412-34"),  # the text's digits, in its order
        (r"^[a-z]+$", "m"),  # the fewest repeats, the text's letters
        (r"^(ab|cd)\1$", "abab"),  # the first alternative; a back-reference repeats the group
        (r"^[^a-z\s]{2}$", "E-"),
        (r"^colou?r$", "color"),
        (r"^(?:[0-9a-f]{2}:){2}[0-9a-f]{2}$", "ae:de:f4"),
    ],
)
def test_a_pattern_gets_a_matching_string(pattern, expected):
    value = value_for_schema({"type": "string", "pattern": pattern}, TEXT)
    assert value == expected and re.search(pattern, value)


@pytest.mark.parametrize(
    ("pattern", "low", "high", "expected"),
    [
        (r"^[a-z]+@example\.com$", 20, None, "mulatedr@example.com"),  # more repeats, leaving room for the rest
        (r"^(ab)*c+$", 10, 10, "ababababcc"),  # repeats that fit exactly
        (r"^\d{5}(-\d{4})?$", 6, None, "41234-0000"),  # an optional part, when the rest falls short
        (r"^(?:yes|no|maybe)$", 4, None, "maybe"),  # the longest alternative, when the first is too short
        (r"^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$", 0, 10, "4.1.2.3"),  # the shortest
    ],
)
def test_a_pattern_with_length_bounds_gets_a_string_within_them(pattern, low, high, expected):
    schema = {"type": "string", "pattern": pattern, "minLength": low, **({"maxLength": high} if high else {})}
    value = value_for_schema(schema, TEXT)
    assert value == expected and validates(schema, value)


@pytest.mark.parametrize(
    "pattern",
    [r"(?<=a)b", r"^\bx\b\Bq$", r"(?!)"],
    ids=["lookbehind", "impossible-boundaries", "never-matches"],
)
def test_a_pattern_the_emulator_cannot_write_is_refused(pattern):
    with pytest.raises(SchemaValueError, match="cannot write a string of 0 to None characters .* the pattern"):
        value_for_schema({"type": "string", "pattern": pattern}, TEXT)


def test_an_invalid_pattern_is_refused():
    with pytest.raises(SchemaValueError, match="not a regular expression"):
        value_for_schema({"type": "string", "pattern": "(unclosed"}, TEXT)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer"}, 0),
        ({"type": "integer", "minimum": 5}, 5),
        ({"type": "integer", "exclusiveMinimum": 5}, 6),
        ({"type": "integer", "maximum": -3}, -3),
        ({"type": "integer", "exclusiveMinimum": 5, "multipleOf": 3}, 6),
        ({"type": "integer", "maximum": -7, "multipleOf": 5}, -10),
        ({"type": "integer", "minimum": 1, "multipleOf": 2.5}, 5),
        ({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}, 0.5),
        ({"type": "number", "minimum": 0.25, "multipleOf": 0.1}, 0.4),  # 0.3 / 0.1 is not whole in floats
        ({"type": "number", "minimum": -2.5, "maximum": -1.5}, -2),
        ({"type": "integer", "exclusiveMinimum": 0, "multipleOf": 0.001}, 1),  # integers step by 1 (of 1/1000)
        ({"type": "number", "exclusiveMinimum": 2.0**33, "multipleOf": 1e-9}, 2**33 + 1),  # finer than the floats
    ],
)
def test_a_number_is_the_admissible_one_nearest_to_zero(schema, expected):
    value = value_for_schema(schema, TEXT)
    assert value == expected and validates(schema, value)


def test_bounds_that_no_number_fits_are_refused():
    with pytest.raises(SchemaValueError, match="no integer fits"):
        value_for_schema({"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 2}, TEXT)


def test_an_enum_takes_the_value_the_text_names_else_its_first():
    schema = {"type": "string", "enum": ["pending", "shipped", "lost"]}
    assert value_for_schema(schema, "The parcel was SHIPPED yesterday") == "shipped"
    assert value_for_schema(schema, "no idea") == "pending"
    assert value_for_schema({"type": "integer", "enum": ["one", 1]}, TEXT) == 1  # a value of the type


def test_const_booleans_and_nulls_take_their_only_or_plainest_value():
    assert value_for_schema({"const": {"fixed": [1]}}, TEXT) == {"fixed": [1]}
    assert value_for_schema({"type": "boolean"}, TEXT) is False
    assert value_for_schema({"type": "null"}, TEXT) is None


def test_arrays_have_one_item_or_their_minimum_within_their_maximum():
    item = {"type": "integer"}
    assert value_for_schema({"type": "array", "items": item}, TEXT) == [0]
    assert value_for_schema({"type": "array", "items": item, "minItems": 3}, TEXT) == [0, 0, 0]
    assert value_for_schema({"type": "array", "items": item, "maxItems": 0}, TEXT) == []


def test_all_of_merges_its_branches():
    first = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    schema = {"allOf": [{"$ref": "#/$defs/A"}, strict_object({"b": {"type": "boolean"}})], "$defs": {"A": first}}
    assert value_for_schema(schema, TEXT) == {"a": 0, "b": False}


def test_a_schema_without_required_gets_every_property_it_can():
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "never": {"enum": []}}}
    assert value_for_schema(schema, TEXT) == {"city": TEXT}


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array", "minItems": 10**9},
        {"type": "array", "minItems": 1000, "items": {"type": "array", "minItems": 1000}},
        {"type": "string", "minLength": 10**9},
        {"type": "string", "pattern": "a{1000000000}"},
    ],
    ids=["huge-minItems", "nested-minItems", "huge-minLength", "huge-repeat"],
)
def test_a_value_over_the_size_bound_is_refused(schema):
    with pytest.raises(SchemaValueError, match="larger than|longer than|over the"):
        value_for_schema(schema, TEXT)


# -- properties ---------------------------------------------------------------------------------

NAMES = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8)
TEXTS = st.one_of(st.text(max_size=40), st.just(TEXT), st.just(""))
PATTERNS = [
    r"^[A-Z]{3}-\d{4}$",
    r"^[a-z]+@[a-z]+\.(com|org)$",
    r"\d+",
    r"^(ab|cd)*x?$",
    r"^[^\s]{2,5}$",
    r"colou?r",
    r"^\w+( \w+)*$",
    r"^(?:[0-9a-f]{2}:){2}[0-9a-f]{2}$",
    r"^(a|b)\1$",
    r"^.{3}$",
    r"[.]\S",
    r"^(?i:abc)[^\W\d]+?$",
]
FORMATS = ["date-time", "date", "time", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"]
STEPS = [1, 2, 3, 5, 0.5, 0.25, 0.1, 0.01, 0.001, 1e-9, 2.5]  # 1e-9: finer than a float's spacing near 1e10


@st.composite
def string_schemas(draw) -> dict:
    shape = draw(st.sampled_from(["plain", "length", "format", "pattern"]))
    if shape == "length":
        low, high = sorted(draw(st.lists(st.integers(0, 60), min_size=2, max_size=2)))
        return {"type": "string", "minLength": low, "maxLength": high}
    if shape == "format":
        return {"type": "string", "format": draw(st.sampled_from(FORMATS))}
    if shape == "pattern":
        return {"type": "string", "pattern": draw(st.sampled_from(PATTERNS))}
    return {"type": "string"}


@st.composite
def number_schemas(draw) -> dict:
    """Integers and numbers with bounds wide enough to hold an admissible value."""
    schema: dict = {"type": draw(st.sampled_from(["integer", "number"]))}
    step = draw(st.none() | st.sampled_from(STEPS))
    if step is not None:
        schema["multipleOf"] = step
    low = draw(st.none() | st.integers(-(10**12), 10**12) | st.floats(-1e10, 1e10))
    if low is not None:
        schema[draw(st.sampled_from(["minimum", "exclusiveMinimum"]))] = low
    if draw(st.booleans()):
        width = draw(st.floats(10 * max(1, step or 1) + 2, 1e6))
        schema[draw(st.sampled_from(["maximum", "exclusiveMaximum"]))] = (0 if low is None else low) + width
    return schema


def enum_schemas() -> st.SearchStrategy[dict]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8))
    typed = st.lists(st.text(max_size=8), min_size=1, max_size=5, unique=True)
    return st.one_of(
        typed.map(lambda values: {"type": "string", "enum": values}),
        st.lists(scalars, min_size=1, max_size=5).map(lambda values: {"enum": values}),
        scalars.map(lambda value: {"const": value}),
    )


SCALARS = st.one_of(
    string_schemas(),
    number_schemas(),
    enum_schemas(),
    st.sampled_from([{"type": "boolean"}, {"type": "null"}]),
)


def nullable(schema: dict) -> dict:
    kind = schema.get("type")
    return {**schema, "type": [kind, "null"]} if isinstance(kind, str) else {"anyOf": [schema, {"type": "null"}]}


def containers(children: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    bounds = st.tuples(st.integers(0, 3), st.integers(0, 3))
    return st.one_of(
        st.dictionaries(NAMES, children, max_size=4).map(strict_object),
        st.builds(
            lambda items, b: {"type": "array", "items": items, "minItems": b[0], "maxItems": sum(b)}, children, bounds
        ),  # fmt: skip
        children.map(lambda items: {"type": "array", "items": items}),
        st.lists(children, min_size=1, max_size=3).map(lambda branches: {"anyOf": branches}),
        children.map(nullable),
    )


TREES = st.recursive(SCALARS, containers, max_leaves=12)


def with_definitions(schema: dict, leaf: dict, where: str) -> dict:
    """``schema`` as a definition used twice, beside a recursive one: a list of ``leaf`` by its ``next``."""
    node = chain_node(where, leaf)
    root = strict_object({"item": {"$ref": f"#/{where}/Item"},
                          "items": {"type": "array", "items": {"$ref": f"#/{where}/Item"}},
                          "chain": {"$ref": f"#/{where}/Node"}})  # fmt: skip
    return {**root, where: {"Item": schema, "Node": node}}


def tree_of(leaf: dict) -> dict:
    """A tree through the root reference: each node a ``leaf`` and its children."""
    return strict_object({"value": leaf, "children": {"type": "array", "items": {"$ref": "#"}}})


SCHEMAS = st.one_of(
    TREES,
    st.builds(with_definitions, TREES, SCALARS, st.sampled_from(["$defs", "definitions"])),
    st.builds(tree_of, TREES),
)


@bounded(300)
@given(SCHEMAS, TEXTS)
def test_every_strict_schema_gets_a_value_that_validates(schema, text):
    value = value_for_schema(schema, text)
    assert validates(schema, value), (schema, value)


@bounded(100)
@given(SCHEMAS, TEXTS)
def test_the_same_schema_and_text_give_the_same_value(schema, text):
    assert json.dumps(value_for_schema(schema, text)) == json.dumps(value_for_schema(schema, text))


HUGE = st.sampled_from([0, 1, 10, 1_000, 10**6, 10**9])


@st.composite
def hostile_schemas(draw) -> dict:
    """Schemas made to hang or to blow up: deep nesting, huge minimums, references without end."""
    shape = draw(st.sampled_from(["arrays", "objects", "strings", "self", "cycle", "both-recursive"]))
    if shape == "arrays":
        schema: dict = {"type": "string", "minLength": draw(HUGE)}
        for _ in range(draw(st.integers(1, 6))):
            schema = {"type": "array", "items": schema, "minItems": draw(HUGE)}
        return schema
    if shape == "objects":
        schema = {"type": "integer"}
        for _ in range(draw(st.integers(1, 300))):
            schema = strict_object({"inner": schema})
        return schema
    if shape == "strings":
        return {"type": "string", "pattern": f"^(ab){{{draw(HUGE)}}}$", "minLength": draw(HUGE)}
    if shape == "self":
        return strict_object({"again": {"$ref": "#"}})
    if shape == "cycle":
        return {"$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"anyOf": [{"$ref": "#/$defs/A"}]}}, "$ref": "#/$defs/A"}
    return {"anyOf": [strict_object({"left": {"$ref": "#"}}), strict_object({"right": {"$ref": "#"}})]}


@bounded(40)
@given(hostile_schemas(), TEXTS)
def test_a_hostile_schema_gets_a_bounded_value_or_a_schema_value_error(schema, text):
    """Within the profile's deadline for each example: any other exception, or a hang, fails."""
    try:
        value = value_for_schema(schema, text)
    except SchemaValueError:
        return
    assert len(json.dumps(value)) <= 2 * MAX_SIZE and validates(schema, value)

"""Fine-tuning data checked before it is uploaded: a bad line found here costs nothing.

OpenAI checks a training file only once a job is created, and stops at the first
problem. :func:`check_training_data` reads the data once, a line at a time (a 1 GB
file is never held in memory), and reports every bad line with its number.

Token counts are estimates (about four characters per token, plus a few tokens per
message): ``tiktoken`` and its encoding files are not assumed to be installed or
downloadable, so the count is close for English text but can be off for code or other
languages. Pure Python, no Airflow import: usable in a DAG, a notebook or a CI step
(the hook and the check operator open paths and object-storage URIs and pass the lines).

The data is hostile input like any other: a line that is not JSON, nested beyond
reason, or not UTF-8 is reported by number, never raised as a stray exception.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_provider_openai_adv.safe_json import UnsafeJSONError, loads
from airflow_provider_openai_adv.validation import fail, require_choice, require_range

FORMATS = ("chat", "completion", "preference")
ROLES = ("system", "developer", "user", "assistant", "tool")
CHAT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
)
# The keys that tell the formats apart; each format accepts no other top-level key but chat's extras.
FORMAT_KEYS = {
    "chat": frozenset({"messages"}),
    "completion": frozenset({"prompt", "completion"}),
    "preference": frozenset({"input", "preferred_output", "non_preferred_output"}),
}
MESSAGE_TOKENS = 4  # the role and the separators around each message
PART_TOKENS = 85  # a content part that is not text (an image): OpenAI's low-detail image cost
SHOWN_ERRORS = 5  # errors quoted in an exception message
LISTED_LINES = 3  # line numbers quoted per whole-file error


class BadExample(ValueError):
    """The first problem of one line."""


@dataclass(frozen=True)
class LineError:
    """A problem on ``line`` (1-based); line 0 is the data as a whole."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class DatasetReport:
    """What :func:`check_training_data` found.

    ``examples`` and ``estimated_tokens`` count the valid examples only;
    ``max_example_tokens_seen`` also counts the examples that are too long.
    ``errors`` lists the whole-file errors first, then at most ``max_errors`` line errors;
    ``error_count`` counts every error found, listed or not.
    """

    data_format: str  # chat | completion | preference, or "unknown" when no line told
    examples: int
    estimated_tokens: int
    max_example_tokens_seen: int
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0
    errors_truncated: bool = False
    source: str | None = None  # the file checked, for messages

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def raise_for_errors(self, argument: str) -> None:
        """Raise ``OpenAIValidationError`` naming ``argument`` and the first errors, unless :attr:`ok`."""
        if self.ok:
            return
        parts = [str(error) for error in self.errors[:SHOWN_ERRORS]]
        more = self.error_count - len(parts)
        if more:
            parts.append(f"{'and ' if parts else ''}{more} more error{'s' if more > 1 else ''}")
        kind = f"{self.data_format} fine-tuning data" if self.data_format in FORMATS else "fine-tuning data"
        raise fail(argument, f"{self.source or 'the data'} is not valid {kind}: {'; '.join(parts)}")


def check_training_data(
    lines: Iterable[bytes | str],
    *,
    data_format: str = "auto",
    min_examples: int = 10,
    max_example_tokens: int | None = 65_536,
    max_errors: int = 50,
) -> DatasetReport:
    """Check JSONL fine-tuning data, one line at a time; the lines may come straight from a file.

    :param data_format: ``chat``, ``completion`` (prompt/completion, for ``davinci-002`` and
        ``babbage-002``), ``preference`` (DPO), or ``auto``: the format of the first line
        whose keys name one; lines of another format are then a "mixed formats" error.
    :param min_examples: fewer valid examples is an error (OpenAI needs 10).
    :param max_example_tokens: an example estimated longer is an error; ``None``: no limit.
    :param max_errors: line errors listed at most; whole-file errors are always listed.
    """
    require_choice("data_format", data_format, ("auto", *FORMATS))
    require_range("min_examples", min_examples, 0, integer=True)
    require_range("max_example_tokens", max_example_tokens, 1, integer=True)
    require_range("max_errors", max_errors, 0, integer=True)
    chosen = None if data_format == "auto" else data_format
    decided_by = 0  # the line that decided the format in auto mode
    examples = tokens = largest = line_error_count = 0
    line_errors: list[LineError] = []
    foreign: Counter[str] = Counter()  # examples of another format, by format
    foreign_lines: dict[str, list[int]] = {}
    for number, raw in enumerate(lines, start=1):
        try:
            example = _parse(raw, first=number == 1)
            if example is None:
                continue
            kind = _format_of(example, chosen)
            if chosen is None:
                chosen, decided_by = kind, number
            elif kind != chosen:
                foreign[kind] += 1
                found = foreign_lines.setdefault(kind, [])
                if len(found) < LISTED_LINES:
                    found.append(number)
                continue
            size = CHECKS[chosen](example)
            largest = max(largest, size)
            if max_example_tokens is not None and size > max_example_tokens:
                raise BadExample(f"about {size} tokens, over the limit of {max_example_tokens}")
        except BadExample as problem:
            line_error_count += 1
            if len(line_errors) < max_errors:
                line_errors.append(LineError(number, str(problem)))
            continue
        examples += 1
        tokens += size

    whole = []
    for kind, count in foreign.items():
        told = f"line {decided_by} holds a {chosen} example" if decided_by else f"data_format is {chosen}"
        where = ", ".join(map(str, foreign_lines[kind])) + (", …" if count > LISTED_LINES else "")
        held = f"line {where} holds a {kind} example" if count == 1 else f"{count} lines hold {kind} examples"
        whole.append(f"mixed formats: {told}, but {held}" + (f" (lines {where})" if count > 1 else ""))
    if examples < min_examples:
        whole.append(
            f"{examples} valid example{'' if examples == 1 else 's'}; fine-tuning needs at least {min_examples}"
        )
    return DatasetReport(
        data_format=chosen or "unknown",
        examples=examples,
        estimated_tokens=tokens,
        max_example_tokens_seen=largest,
        errors=[LineError(0, message) for message in whole] + line_errors,
        error_count=len(whole) + line_error_count,
        errors_truncated=line_error_count > len(line_errors),
    )


# -- one line -------------------------------------------------------------------------


def _parse(raw: bytes | str, *, first: bool) -> dict[str, Any] | None:
    """The line's JSON object, or ``None`` for a blank line."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadExample(f"not UTF-8 text (byte {error.start})") from None
    text = raw.removeprefix("\ufeff") if first else raw
    if not text.strip():
        return None
    try:
        example = loads(text)  # JSON allows the "\r\n" of a CRLF file around a value
    except UnsafeJSONError as problem:
        raise BadExample(str(problem)) from None
    if not isinstance(example, dict):
        raise BadExample(f"not a JSON object but {_kind(example)}")
    return example


def _format_of(example: dict[str, Any], chosen: str | None) -> str:
    """The format the example's keys name; the data's own when they name none."""
    if chosen and example.keys() & FORMAT_KEYS[chosen]:
        return chosen
    named = next((kind for kind, keys in FORMAT_KEYS.items() if example.keys() & keys), chosen)
    if named is None:
        raise BadExample(
            "not a fine-tuning example: expected 'messages' (chat), 'prompt' and 'completion', "
            "or 'input', 'preferred_output' and 'non_preferred_output' (preference)"
        )
    return named


def _chat(example: dict[str, Any]) -> int:
    _reject_unknown(example, CHAT_KEYS, "")
    return _messages(example.get("messages"), "messages", needs_assistant=True) + _chat_extras(example)


def _completion(example: dict[str, Any]) -> int:
    _reject_unknown(example, FORMAT_KEYS["completion"], "")
    for key in ("prompt", "completion"):
        if not isinstance(example.get(key), str):
            raise BadExample(f"'{key}' must be text, not {_kind(example.get(key))}")
    if not example["completion"].strip():
        raise BadExample("'completion' is empty")
    return _text_tokens(example["prompt"]) + _text_tokens(example["completion"])


def _preference(example: dict[str, Any]) -> int:
    _reject_unknown(example, FORMAT_KEYS["preference"], "")
    given = example.get("input")
    if not isinstance(given, dict):
        raise BadExample(f"'input' must be an object with 'messages', not {_kind(given)}")
    _reject_unknown(given, CHAT_KEYS, "input.")
    tokens = _messages(given.get("messages"), "input.messages", needs_assistant=False) + _chat_extras(given)
    for key in ("preferred_output", "non_preferred_output"):
        tokens += _messages(example.get(key), key, needs_assistant=True)
    return tokens


CHECKS = {"chat": _chat, "completion": _completion, "preference": _preference}


def _chat_extras(example: dict[str, Any]) -> int:
    """Check ``tools``, ``functions`` and ``parallel_tool_calls``; the tokens of the definitions."""
    for key in ("tools", "functions"):
        if key in example and not isinstance(example[key], list):
            raise BadExample(f"'{key}' must be a list, not {_kind(example[key])}")
    if "parallel_tool_calls" in example and not isinstance(example["parallel_tool_calls"], bool):
        raise BadExample("'parallel_tool_calls' must be true or false")
    return _json_tokens(example.get("tools")) + _json_tokens(example.get("functions"))


def _messages(messages: Any, where: str, *, needs_assistant: bool) -> int:
    """Check a list of messages; their estimated tokens."""
    if messages is None:
        raise BadExample(f"'{where}' is missing")
    if not isinstance(messages, list) or not messages:
        raise BadExample(f"'{where}' must be a non-empty list of messages")
    tokens = sum(_message(message, f"{where}[{index}]") for index, message in enumerate(messages))
    if needs_assistant and not any(message["role"] == "assistant" for message in messages):
        raise BadExample(f"'{where}' has no assistant message")
    return tokens


def _message(message: Any, where: str) -> int:
    if not isinstance(message, dict):
        raise BadExample(f"{where} is not an object but {_kind(message)}")
    role = message.get("role")
    if role not in ROLES:
        found = "no 'role'" if role is None else f"unknown role {role!r}"
        raise BadExample(f"{where}: {found}; expected one of {', '.join(ROLES)}")
    _reject_unknown(message, MESSAGE_KEYS, f"{where}.")
    calls = message.get("tool_calls") or message.get("function_call")
    if "tool_calls" in message and role != "assistant":
        raise BadExample(f"{where}: only assistant messages may have 'tool_calls'")
    if "tool_calls" in message and not isinstance(message["tool_calls"], list):
        raise BadExample(f"{where}: 'tool_calls' must be a list, not {_kind(message['tool_calls'])}")
    content = message.get("content")
    if content is None:
        if role != "assistant" or not calls:
            raise BadExample(f"{where}: 'content' is missing; only an assistant message with tool_calls may omit it")
    elif isinstance(content, list):
        if not content or not all(isinstance(part, dict) and isinstance(part.get("type"), str) for part in content):
            raise BadExample(f"{where}: 'content' as a list must hold parts, objects with a 'type'")
    elif not isinstance(content, str):
        raise BadExample(f"{where}: 'content' must be text or a list of parts, not {_kind(content)}")
    if "weight" in message:
        weight = message["weight"]
        if role != "assistant":
            raise BadExample(f"{where}: only assistant messages may have a 'weight'")
        if type(weight) is not int or weight not in (0, 1):
            raise BadExample(f"{where}: 'weight' must be 0 or 1, not {json.dumps(weight)}")
    return MESSAGE_TOKENS + _content_tokens(content) + _text_tokens(message.get("name")) + _json_tokens(calls)


def _reject_unknown(found: dict[str, Any], allowed: frozenset[str], prefix: str) -> None:
    unknown = found.keys() - allowed
    if unknown:
        listed = ", ".join(repr(f"{prefix}{key}") for key in sorted(unknown))
        raise BadExample(f"unknown key{'s' if len(unknown) > 1 else ''} {listed}")


# -- the token estimate -----------------------------------------------------------------


def _text_tokens(text: Any) -> int:
    return math.ceil(len(text) / 4) if isinstance(text, str) else 0


def _content_tokens(content: Any) -> int:
    if not isinstance(content, list):
        return _text_tokens(content)
    return sum(_text_tokens(part.get("text")) if part["type"] == "text" else PART_TOKENS for part in content)


def _json_tokens(value: Any) -> int:
    return _text_tokens(json.dumps(value)) if value else 0


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    names = {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)

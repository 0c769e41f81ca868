"""``/v1/completions``: the legacy text completions, plain and streaming.

As in chat, the model quotes the prompt back (``synth.reply_for``, after a space so that
the prompt and its continuation read well together when echoed), cut at ``max_tokens``
(16 when not given, OpenAI's default) and before the first ``stop`` sequence. A token
array is read as the words ``t<id>``. With ``suffix`` the answer is the text to insert
before it, and says so (the suffix itself, as on OpenAI, is not returned). ``logprobs`` are
made up but stable, over the same word-sized tokens the stream sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.http import APIError, Request, Response, invalid, json_response, not_found
from airflow_provider_openai_adv.testing.routes.chat import (
    FINGERPRINT,
    check_sampling,
    likeliest_tokens,
    split_for_stream,
    token_logprob,
)
from airflow_provider_openai_adv.testing.routes.common import (
    answer_for,
    check_range,
    model_of_kind,
    optional,
    require,
    sse_response,
    usage,
)
from airflow_provider_openai_adv.testing.routing import Route
from airflow_provider_openai_adv.testing.state import new_id

DEFAULT_MAX_TOKENS = 16
MAX_TOKENS = 1_000_000


def _is_tokens(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(type(token) is int for token in value)


def _prompts(value: str | list[Any]) -> list[tuple[str, int]]:
    """Each prompt as its text and its token count."""
    items = [value] if isinstance(value, str) or _is_tokens(value) else value
    if not items:
        raise invalid("'prompt' must not be an empty array.", param="prompt")
    kinds = {"text" if isinstance(item, str) else "tokens" if _is_tokens(item) else "bad" for item in items}
    if len(kinds) > 1 or "bad" in kinds:
        raise invalid(
            "'prompt' must be a string, an array of strings, an array of tokens or an array of token arrays.",
            param="prompt",
        )
    if kinds == {"text"}:
        return [(item, synth.estimate_tokens(item)) for item in items]
    return [(" ".join(f"t{token}" for token in item), len(item)) for item in items]


def not_a_completion_model(model: str, kind: str) -> APIError:
    """OpenAI's answer to a model completions does not serve: a chat model's is a 404."""
    if kind in ("chat", "responses"):
        return not_found(
            "This is a chat model and not supported in the v1/completions endpoint. "
            "Did you mean to use v1/chat/completions?",
            param="model",
        )
    return invalid(f"The model `{model}` is not supported in the v1/completions endpoint.", param="model")


def _check(body: dict[str, Any]) -> None:
    for name in ("n", "best_of", "logprobs", "max_tokens"):
        optional(body, name, int)
    for name in ("echo", "stream"):
        optional(body, name, bool)
    optional(body, "suffix")
    # Unlike chat, max_tokens may be 0: echo alone, to read the prompt's logprobs.
    check_sampling({name: value for name, value in body.items() if name != "max_tokens"})
    check_range(body, "max_tokens", 0, MAX_TOKENS)
    check_range(body, "best_of", 0, 20)
    check_range(body, "logprobs", 0, 5)
    if isinstance(body.get("stop"), list) and not all(isinstance(stop, str) for stop in body["stop"]):
        raise invalid("'stop' must be a string or an array of strings.", param="stop")
    best_of = body.get("best_of")
    if best_of is not None and best_of < (body.get("n") or 1):
        raise invalid("best_of must be greater than or equal to n.", param="best_of")
    if body.get("stream") and (best_of or 1) > 1:
        raise invalid("Cannot stream results when best_of is greater than 1.", param="best_of")


def _generate(request: Request, body: dict[str, Any], model: str, prompt: str) -> tuple[str, str]:
    """The text generated for one prompt (without the echo) and its finish reason."""
    suffix = body.get("suffix")
    reply = " " + answer_for(request, model, f"{prompt} [to go before: {suffix}]" if suffix else prompt)
    limit = DEFAULT_MAX_TOKENS if body.get("max_tokens") is None else body["max_tokens"]
    text, cut = synth.truncate_to_tokens(reply, limit) if limit else ("", True)
    stops = body.get("stop")
    found = [text.index(stop) for stop in ([stops] if isinstance(stops, str) else stops or []) if stop and stop in text]
    if found:
        return text[: min(found)], "stop"
    return text, "length" if cut else "stop"


def _logprobs(text: str, top: int) -> dict[str, list[Any]]:
    """The legacy ``logprobs`` of ``text``'s word-sized tokens, as chat's: the ``top`` likeliest at each, or itself."""
    tokens = split_for_stream(text)
    offsets = [sum(len(token) for token in tokens[:position]) for position in range(len(tokens))]
    return {
        "tokens": tokens,
        "token_logprobs": [token_logprob(token) for token in tokens],
        "top_logprobs": [dict(likeliest_tokens(token, max(1, top))) for token in tokens],
        "text_offset": offsets,
    }


def create_completion(request: Request) -> Response:
    body = request.json()
    model = require(body, "model")
    prompts = _prompts(require(body, "prompt", (str, list)))
    _check(body)
    model_of_kind(request, model, ("completion",), not_a_completion_model)
    n = body.get("n") or 1
    choices: list[dict[str, Any]] = []
    completion_tokens = 0
    for prompt, _ in prompts:  # OpenAI's order: the n choices of prompt 0, then of prompt 1...
        generated, finish_reason = _generate(request, body, model, prompt)
        completion_tokens += synth.estimate_tokens(generated) * max(n, body.get("best_of") or 1)
        text = prompt + generated if body.get("echo") else generated
        logprobs = None if body.get("logprobs") is None else _logprobs(text, body["logprobs"])
        for _ in range(n):
            choices.append({"text": text, "index": len(choices), "logprobs": logprobs, "finish_reason": finish_reason})
    completion = {
        "id": new_id("cmpl"),
        "object": "text_completion",
        "created": request.state.now(),
        "model": model,
        "system_fingerprint": FINGERPRINT,
        "choices": choices,
        "usage": usage(sum(tokens for _, tokens in prompts), completion_tokens),
    }
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return sse_response(_stream_chunks(completion, include_usage))
    return json_response(completion)


def _stream_chunks(completion: dict[str, Any], include_usage: bool) -> Iterator[dict[str, Any]]:
    """The completion as OpenAI streams it: ``text_completion`` objects, a token each."""
    base = {name: completion[name] for name in ("id", "object", "created", "model", "system_fingerprint")}

    def chunk(index: int, text: str, logprobs: dict[str, list[Any]] | None, finish_reason: str | None):
        return {
            **base,
            "choices": [{"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish_reason}],
        }

    for choice in completion["choices"]:
        logprobs = choice["logprobs"]
        for position, token in enumerate(split_for_stream(choice["text"])):
            token_logprobs = {key: [values[position]] for key, values in logprobs.items()} if logprobs else None
            yield chunk(choice["index"], token, token_logprobs, None)
        yield chunk(choice["index"], "", None, choice["finish_reason"])
    if include_usage:
        yield {**base, "choices": [], "usage": completion["usage"]}


ROUTES = (Route("POST", "/completions", create_completion),)

"""``/v1/edits`` (removed in 2024; as in the 2023 specification).

The edit models were never listed by ``/v1/models``, so their names are accepted here
without being models of the emulator. The edited text is the input followed by a note
quoting the instruction: deterministic, and visibly derived from both.
"""

from __future__ import annotations

from airflow_provider_openai_adv.testing import synth
from airflow_provider_openai_adv.testing.http import Request, Response, invalid, json_response
from airflow_provider_openai_adv.testing.routes.common import check_range, model_or_404, optional, require, usage
from airflow_provider_openai_adv.testing.routing import Route

EDIT_MODELS = ("text-davinci-edit-001", "code-davinci-edit-001")


def edited(text: str, instruction: str) -> str:
    note = f"[edited per instruction: {instruction}]"
    return f"{text}\n{note}" if text else note


def create_edit(request: Request) -> Response:
    body = request.json()
    model = require(body, "model")
    instruction = require(body, "instruction")
    text = optional(body, "input") or ""
    optional(body, "n", int)
    check_range(body, "n", 1, 20)
    check_range(body, "temperature", 0, 2)
    check_range(body, "top_p", 0, 1)
    if model not in EDIT_MODELS:
        model_or_404(request, model)
        raise invalid(
            f"The model `{model}` is not supported in the v1/edits endpoint; use {' or '.join(EDIT_MODELS)}.",
            param="model",
        )
    n = body.get("n") or 1
    answer = edited(text, instruction)
    prompt_tokens = synth.estimate_tokens(text) + synth.estimate_tokens(instruction)
    return json_response(
        {
            "object": "edit",
            "created": request.state.now(),
            "choices": [{"text": answer, "index": index} for index in range(n)],
            "usage": usage(prompt_tokens, synth.estimate_tokens(answer) * n),
        }
    )


ROUTES = (Route("POST", "/edits", create_edit),)

"""The eight actions whose endpoints OpenAI removed, answered by today's API.

``/edits`` became chat completions, ``/fine-tunes*`` became ``/fine_tuning/jobs*`` and
``/engines*`` became ``/models``. By default the hook sends these actions to today's
endpoints and, where the answer's shape changed, converts it to what the action
returned (an edit, an engine). ``legacy=True`` — per call, per hook, or the connection
extra ``legacy_endpoints`` — sends them to the old paths unchanged, for servers that
still serve them.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.exceptions import OpenAIValidationError

# Edit models OpenAI retired with /edits; today an edit is a chat completion.
RETIRED_EDIT_MODELS = frozenset({"text-davinci-edit-001", "code-davinci-edit-001"})
DEFAULT_EDIT_MODEL = "gpt-4o-mini"
EDIT_INSTRUCTION = "Edit the user's text as instructed; reply with the edited text only. Instruction: {instruction}"

# Arguments only the 2023 /fine-tunes endpoint took, and only today's takes.
LEGACY_FINE_TUNE_ONLY = (
    "prompt_loss_weight",
    "compute_classification_metrics",
    "classification_n_classes",
    "classification_positive_class",
    "classification_betas",
)
CURRENT_FINE_TUNE_ONLY = ("method", "metadata", "seed", "integrations", "hyperparameters")
HYPERPARAMETERS = ("n_epochs", "batch_size", "learning_rate_multiplier")
REATTACH_TAG = "airflow_task"  # metadata key marking who started a job, so a retry finds it


def edit_messages(instruction: str, input: str | None) -> list[dict[str, str]]:  # noqa: A002
    """An edit as a conversation: the instruction as the system turn, the text as the user's."""
    return [
        {"role": "system", "content": EDIT_INSTRUCTION.format(instruction=instruction)},
        {"role": "user", "content": input or ""},
    ]


def edit_from_chat(completion: dict[str, Any]) -> dict[str, Any]:
    """A chat completion in the shape ``/edits`` returned."""
    return {
        "object": "edit",
        "created": completion.get("created"),
        "model": completion.get("model"),
        "choices": [
            {"index": choice["index"], "text": (choice.get("message") or {}).get("content") or ""}
            for choice in completion.get("choices", [])
        ],
        "usage": completion.get("usage"),
    }


def engine_from_model(model: dict[str, Any]) -> dict[str, Any]:
    """A model in the shape ``/engines`` returned."""
    return {
        "id": model["id"],
        "object": "engine",
        "owner": model.get("owned_by"),
        "ready": True,
        "created": model.get("created"),
    }


def current_fine_tune_body(arguments: dict[str, Any]) -> dict[str, Any]:
    """``POST /fine_tuning/jobs`` body from the action's arguments.

    ``n_epochs`` / ``batch_size`` / ``learning_rate_multiplier`` become the supervised
    method's hyperparameters, as today's API spells them.
    """
    for name in LEGACY_FINE_TUNE_ONLY:
        if arguments.get(name) is not None:
            raise OpenAIValidationError(f"{name}: only the legacy /fine-tunes endpoint takes it; pass legacy=True")
    hyperparameters = {name: arguments.pop(name) for name in HYPERPARAMETERS if arguments.get(name) is not None}
    for name in HYPERPARAMETERS:
        arguments.pop(name, None)
    if hyperparameters:
        if arguments.get("method") or arguments.get("hyperparameters"):
            raise OpenAIValidationError(
                f"{', '.join(hyperparameters)}: give hyperparameters either as arguments or inside method, not both"
            )
        arguments["method"] = {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}}
    return {name: value for name, value in arguments.items() if value is not None}


def legacy_fine_tune_body(arguments: dict[str, Any]) -> dict[str, Any]:
    """``POST /fine-tunes`` body; today's-only arguments are refused by name."""
    for name in CURRENT_FINE_TUNE_ONLY:
        if arguments.get(name) is not None:
            raise OpenAIValidationError(f"{name}: the legacy /fine-tunes endpoint does not take it")
    return {name: value for name, value in arguments.items() if value is not None}

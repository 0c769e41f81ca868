"""The eight actions whose endpoints OpenAI removed: their 2023 paths, and today's answers.

``/edits`` became chat completions, ``/fine-tunes*`` became ``/fine_tuning/jobs*`` and
``/engines*`` became ``/models``. :class:`~.openai_adv.OpenAIAdvHook` runs these actions
on today's endpoints with the conversions below; :class:`OpenAIAdvLegacyHook` sends them
to the old paths unchanged, for servers that still serve them. Which one a task uses is
decided once, when its hook is built (:meth:`OpenAIAdvHook.for_connection`: the
``legacy`` argument, else the connection's ``legacy_endpoints`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv import validation as check
from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

if TYPE_CHECKING:
    from airflow_provider_openai_adv.jobs.kinds import JobKind

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


class OpenAIAdvLegacyHook(OpenAIAdvHook):
    """:class:`OpenAIAdvHook` with the removed actions on their 2023 endpoints:
    ``/edits``, ``/fine-tunes*`` and ``/engines*``, bodies and answers unchanged."""

    legacy = True

    @property
    def fine_tune_kind(self) -> JobKind:
        from airflow_provider_openai_adv.jobs.fine_tuning import LEGACY_FINE_TUNE

        return LEGACY_FINE_TUNE

    def create_edit(self, *, instruction: str, input: str = "", model: str | None = None, **params: Any) -> dict:  # noqa: A002
        """``POST /edits``."""
        check.check_edit(instruction, input, params)
        body = {"model": model or "text-davinci-edit-001", "instruction": instruction, "input": input, **params}
        return self.client.post("edits", body)

    def create_fine_tune(
        self, *, training_file: str, model: str | None = None, reattach_key: str | None = None, **params: Any
    ) -> dict[str, Any]:
        """``POST /fine-tunes``; the 2023 API had no metadata, so ``reattach_key`` is not used."""
        check.check_fine_tune(training_file, model, params, legacy=True)
        body = legacy_fine_tune_body({"training_file": training_file, "model": model, **params})
        return self.client.post("fine-tunes", body, safe_to_repeat=False)

    def list_fine_tunes(self, *, limit: int | None = None, metadata: dict[str, str] | None = None) -> list[dict]:
        """``GET /fine-tunes`` (one page, oldest first)."""
        if metadata:
            raise OpenAIValidationError("metadata: the legacy /fine-tunes endpoint has no metadata to filter on")
        return list(self.client.paginate("fine-tunes", limit=limit))

    def retrieve_fine_tune(self, fine_tune_id: str) -> dict[str, Any]:
        """``GET /fine-tunes/{fine_tune_id}``."""
        return self.client.get("fine-tunes/{fine_tune_id}", fine_tune_id=fine_tune_id)

    def cancel_fine_tune(self, fine_tune_id: str) -> dict[str, Any]:
        """``POST /fine-tunes/{fine_tune_id}/cancel``."""
        return self.client.post("fine-tunes/{fine_tune_id}/cancel", fine_tune_id=fine_tune_id)

    def list_fine_tune_events(self, fine_tune_id: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        """``GET /fine-tunes/{fine_tune_id}/events`` (one page, oldest first)."""
        return list(self.client.paginate("fine-tunes/{fine_tune_id}/events", limit=limit, fine_tune_id=fine_tune_id))

    def list_engines(self) -> list[dict[str, Any]]:
        """``GET /engines``."""
        return list(self.client.paginate("engines"))

    def retrieve_engine(self, engine_id: str) -> dict[str, Any]:
        """``GET /engines/{engine_id}``."""
        return self.client.get("engines/{engine_id}", engine_id=engine_id)


# -- today's answers in the removed actions' shapes ---------------------------------------


def edit_messages(instruction: str, input: str | None) -> list[dict[str, str]]:  # noqa: A002
    """An edit as a conversation: the instruction as the system turn, the text as the user's."""
    return [
        {"role": "system", "content": EDIT_INSTRUCTION.format(instruction=instruction)},
        {"role": "user", "content": input or ""},
    ]


def edit_from_chat(completion: dict[str, Any]) -> dict[str, Any]:
    """A chat completion in the shape ``/edits`` returned."""
    given = completion.get("choices")
    choices = [choice for choice in given if isinstance(choice, dict)] if isinstance(given, list) else []
    return {
        "object": "edit",
        "created": completion.get("created"),
        "model": completion.get("model"),
        "choices": [
            {"index": choice.get("index", position), "text": _message_text(choice)}
            for position, choice in enumerate(choices)
        ],
        "usage": completion.get("usage"),
    }


def _message_text(choice: dict[str, Any]) -> str:
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def engine_from_model(model: dict[str, Any]) -> dict[str, Any]:
    """A model in the shape ``/engines`` returned."""
    return {
        "id": model.get("id"),
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
    return arguments


def legacy_fine_tune_body(arguments: dict[str, Any]) -> dict[str, Any]:
    """``POST /fine-tunes`` body; today's-only arguments are refused by name."""
    for name in CURRENT_FINE_TUNE_ONLY:
        if arguments.get(name) is not None:
            raise OpenAIValidationError(f"{name}: the legacy /fine-tunes endpoint does not take it")
    return arguments

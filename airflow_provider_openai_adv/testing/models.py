"""The models family's state: the base models plus those fine-tuning makes (routes in ``routes/models.py``)."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.testing.state import EmulatorState, Store

# Every model id OpenAI's current specification names for an endpoint the emulator serves, in
# its order (``tests/contract/test_models_contract.py`` fails when the specification gains one):
# ``ModelIdsShared`` (chat and responses), ``ModelIdsResponses``' own, then the ``model`` enums of
# the image, speech, transcription, translation, embedding, moderation and completion requests.
# fmt: off
CHAT_MODELS = (
    "gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna", "gpt-5.5", "gpt-5.5-2026-04-23", "gpt-5.4", "gpt-5.4-mini",
    "gpt-5.4-nano", "gpt-5.4-mini-2026-03-17", "gpt-5.4-nano-2026-03-17", "gpt-5.3-chat-latest", "gpt-5.2",
    "gpt-5.2-2025-12-11", "gpt-5.2-chat-latest", "gpt-5.2-pro", "gpt-5.2-pro-2025-12-11", "gpt-5.1",
    "gpt-5.1-2025-11-13", "gpt-5.1-codex", "gpt-5.1-mini", "gpt-5.1-chat-latest", "gpt-5", "gpt-5-mini",
    "gpt-5-nano", "gpt-5-2025-08-07", "gpt-5-mini-2025-08-07", "gpt-5-nano-2025-08-07", "gpt-5-chat-latest",
    "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano-2025-04-14", "o4-mini", "o4-mini-2025-04-16", "o3", "o3-2025-04-16", "o3-mini",
    "o3-mini-2025-01-31", "o1", "o1-2024-12-17", "o1-preview", "o1-preview-2024-09-12", "o1-mini",
    "o1-mini-2024-09-12", "gpt-4o", "gpt-4o-2024-11-20", "gpt-4o-2024-08-06", "gpt-4o-2024-05-13",
    "gpt-4o-audio-preview", "gpt-4o-audio-preview-2024-10-01", "gpt-4o-audio-preview-2024-12-17",
    "gpt-4o-audio-preview-2025-06-03", "gpt-4o-mini-audio-preview", "gpt-4o-mini-audio-preview-2024-12-17",
    "gpt-4o-search-preview", "gpt-4o-mini-search-preview", "gpt-4o-search-preview-2025-03-11",
    "gpt-4o-mini-search-preview-2025-03-11", "chatgpt-4o-latest", "codex-mini-latest", "gpt-4o-mini",
    "gpt-4o-mini-2024-07-18", "gpt-4-turbo", "gpt-4-turbo-2024-04-09", "gpt-4-0125-preview", "gpt-4-turbo-preview",
    "gpt-4-1106-preview", "gpt-4-vision-preview", "gpt-4", "gpt-4-0314", "gpt-4-0613", "gpt-4-32k",
    "gpt-4-32k-0314", "gpt-4-32k-0613", "gpt-3.5-turbo", "gpt-3.5-turbo-16k", "gpt-3.5-turbo-0301",
    "gpt-3.5-turbo-0613", "gpt-3.5-turbo-1106", "gpt-3.5-turbo-0125", "gpt-3.5-turbo-16k-0613",
)
RESPONSES_ONLY_MODELS = (
    "o1-pro", "o1-pro-2025-03-19", "o3-pro", "o3-pro-2025-06-10", "o3-deep-research", "o3-deep-research-2025-06-26",
    "o4-mini-deep-research", "o4-mini-deep-research-2025-06-26", "computer-use-preview",
    "computer-use-preview-2025-03-11", "gpt-5.5-pro", "gpt-5.5-pro-2026-04-23", "gpt-5-codex", "gpt-5-pro",
    "gpt-5-pro-2025-10-06", "gpt-5.1-codex-max", "gpt-daybreak-blue-latest", "gpt-daybreak-red-latest",
    "gpt-5.6-cyber",
)
OTHER_MODELS = (
    "gpt-image-1.5", "gpt-image-2", "gpt-image-2-2026-04-21", "dall-e-2", "dall-e-3", "gpt-image-1",
    "gpt-image-1-mini", "chatgpt-image-latest", "tts-1", "tts-1-hd", "gpt-4o-mini-tts",
    "gpt-4o-mini-tts-2025-12-15", "whisper-1", "gpt-transcribe", "gpt-4o-transcribe", "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15", "gpt-4o-transcribe-diarize", "text-embedding-ada-002",
    "text-embedding-3-small", "text-embedding-3-large", "omni-moderation-latest", "omni-moderation-2024-09-26",
    "text-moderation-latest", "text-moderation-stable", "gpt-3.5-turbo-instruct", "davinci-002", "babbage-002",
)
# fmt: on

# The models a fresh emulator lists, and who owns each (as ``/models`` reports it): those of
# 2024 first, with the owners OpenAI gave them, then the rest of the specification's, "system".
_OWNERS = {
    "gpt-4o": "system",
    "gpt-4o-mini": "system",
    "gpt-4o-mini-2024-07-18": "system",
    "gpt-4.1": "system",
    "gpt-4.1-mini": "system",
    "gpt-3.5-turbo": "openai",
    "gpt-3.5-turbo-instruct": "system",
    "davinci-002": "system",
    "babbage-002": "system",
    "text-embedding-3-small": "system",
    "text-embedding-3-large": "system",
    "text-embedding-ada-002": "openai-internal",
    "whisper-1": "openai-internal",
    "gpt-4o-transcribe": "system",
    "tts-1": "openai-internal",
    "dall-e-2": "system",
    "dall-e-3": "system",
    "gpt-image-1": "system",
    "omni-moderation-latest": "system",
    "text-moderation-latest": "openai",
}
BASE_MODELS: dict[str, str] = {
    **_OWNERS,
    **{model: "system" for model in (*CHAT_MODELS, *RESPONSES_ONLY_MODELS, *OTHER_MODELS) if model not in _OWNERS},
}
BASE_MODEL_CREATED = 1_700_000_000

# What each model is, by the start of its id (the first rule that matches); a model no rule
# matches is a chat model, unless the specification names it for ``/responses`` only. The
# completion rule also covers the 2023 fine-tuning bases (``ada``, ``curie``...).
KIND_RULES = (
    (("dall-e-", "gpt-image-", "chatgpt-image-"), "image"),
    (("tts-", "gpt-4o-mini-tts"), "speech"),
    (("whisper-", "gpt-transcribe", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"), "transcription"),
    (("text-embedding-",), "embedding"),
    (("omni-moderation-", "text-moderation-"), "moderation"),
    (("gpt-3.5-turbo-instruct", "davinci", "babbage", "curie", "ada"), "completion"),
)


class ModelStore(Store):
    """The models ``/models`` lists, by id; get it with ``state.store(ModelStore)``.

    Fine-tuned models join when their job succeeds, which happens when a job is read:
    ask ``FineTuningStore.refresh_all()`` first for the models by the emulator's clock.
    """

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.models: dict[str, dict[str, Any]] = {
            model_id: model_object(model_id, BASE_MODEL_CREATED, owner) for model_id, owner in BASE_MODELS.items()
        }

    def add(self, model_id: str, created: int, owned_by: str) -> None:
        with self.state.lock:
            self.models[model_id] = model_object(model_id, created, owned_by)

    def delete(self, model_id: str) -> None:
        with self.state.lock:
            self.models.pop(model_id, None)


def model_object(model_id: str, created: int, owned_by: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}


def model_kind(model_id: str) -> str:
    """``chat``, ``responses`` (served by ``/responses`` only), ``completion``, ``embedding``,
    ``moderation``, ``image``, ``speech`` or ``transcription``; a fine-tuned model
    (``ft:<base>:<org>:<suffix>:<id>``) is of its base's kind."""
    base = model_id.split(":")[1] if model_id.startswith("ft:") else model_id
    if base in RESPONSES_ONLY_MODELS:
        return "responses"
    return next((kind for prefixes, kind in KIND_RULES if base.startswith(prefixes)), "chat")

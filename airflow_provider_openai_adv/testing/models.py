"""The models family's state: the base models plus those fine-tuning makes (routes in ``routes/models.py``)."""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.testing.state import EmulatorState, Store

# The models a fresh emulator lists, and who owns each (as ``/models`` reports it).
BASE_MODELS: dict[str, str] = {
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
BASE_MODEL_CREATED = 1_700_000_000


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

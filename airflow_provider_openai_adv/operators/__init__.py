"""Every OpenAI Advanced operator, importable from here.

``from airflow_provider_openai_adv.operators import OpenAICreateChatCompletionOperator``
loads only the module that defines it (and the base), so a DAG file pays for what it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

# The 24 actions of the OpenAI Advanced connector, by module.
_ACTIONS = {
    "models": ("OpenAIGetModelsOperator", "OpenAIDeleteFineTunedModelOperator"),
    "completions": ("OpenAICreateCompletionOperator", "OpenAICreateChatCompletionOperator", "OpenAICreateEditOperator"),
    "images": ("OpenAICreateImageOperator", "OpenAICreateImageEditOperator", "OpenAICreateImageVariationOperator"),
    "embeddings": ("OpenAICreateEmbeddingsOperator",),
    "audio": ("OpenAICreateTranscriptionOperator", "OpenAICreateTranslationOperator"),
    "files": (
        "OpenAIListFilesOperator",
        "OpenAIUploadFileOperator",
        "OpenAIDeleteFileOperator",
        "OpenAIRetrieveFileOperator",
        "OpenAIRetrieveFileContentOperator",
    ),
    "fine_tuning": (
        "OpenAICreateFineTuneOperator",
        "OpenAIListFineTunesOperator",
        "OpenAIRetrieveFineTuneOperator",
        "OpenAICancelFineTuneOperator",
        "OpenAIListFineTuneEventsOperator",
    ),
    "moderations": ("OpenAICreateModerationOperator",),
    "engines": ("OpenAIListEnginesOperator", "OpenAIRetrieveEngineOperator"),
}
# Beyond them: today's endpoints, bulk work, and the steps of a fine-tune pipeline.
_MORE = {
    "batches": (
        "OpenAIBatchOperator",
        "OpenAIRetrieveBatchOperator",
        "OpenAICancelBatchOperator",
        "OpenAIListBatchesOperator",
    ),
    "bulk": ("OpenAIBulkRequestsOperator",),
    "responses": (
        "OpenAICreateResponseOperator",
        "OpenAICreateConversationOperator",
        "OpenAIAddConversationItemsOperator",
        "OpenAIDeleteConversationOperator",
    ),
    "speech": ("OpenAICreateSpeechOperator",),
    "training_data": ("OpenAICheckFineTuneDataOperator",),
    "evaluation": ("OpenAIEvaluateModelOperator",),
}
_MODULES = {**_ACTIONS, **_MORE}
ACTIONS = frozenset(name for names in _ACTIONS.values() for name in names)
_MODULE_OF = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

"""An operator takes every parameter of its endpoint, as OpenAI's specification lists them.

A parameter the spec adds fails here until the operator's signature has it (``extra_body``
passes it meanwhile). Deprecated parameters may be left out; the few left out on purpose
are listed with the reason.
"""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv import operators
from tests.contract.test_limits import properties

REQUESTS = {
    "OpenAICreateChatCompletionOperator": "CreateChatCompletionRequest",
    "OpenAICreateCompletionOperator": "CreateCompletionRequest",
    "OpenAICreateResponseOperator": "CreateResponse",
    "OpenAICreateSpeechOperator": "CreateSpeechRequest",
    "OpenAICreateEmbeddingsOperator": "CreateEmbeddingRequest",
    "OpenAICreateModerationOperator": "CreateModerationRequest",
    "OpenAICreateImageOperator": "CreateImageRequest",
    "OpenAICreateImageEditOperator": "CreateImageEditRequest",
    "OpenAICreateImageVariationOperator": "CreateImageVariationRequest",
    "OpenAICreateTranscriptionOperator": "CreateTranscriptionRequest",
    "OpenAICreateTranslationOperator": "CreateTranslationRequest",
    "OpenAICreateFineTuneOperator": "CreateFineTuningJobRequest",
    "OpenAICreateConversationOperator": "CreateConversationBody",
}
# Left out on purpose: a task keeps the final answer, so the events of a stream it would
# have to assemble (partial images, transcript deltas) are refused by the hook instead.
NOT_TAKEN = {
    "OpenAICreateImageOperator": {"stream", "partial_images"},
    "OpenAICreateImageEditOperator": {"stream", "partial_images"},
    "OpenAICreateTranscriptionOperator": {"stream"},
}


@pytest.mark.parametrize(("operator", "request_schema"), REQUESTS.items())
def test_the_operator_takes_every_parameter_of_its_endpoint(current_document, operator, request_schema):
    fields = properties(current_document, request_schema)
    current = {name for name, field in fields.items() if not field.get("deprecated")}
    missing = current - set(getattr(operators, operator).api_parameters) - NOT_TAKEN.get(operator, set())
    assert not missing, f"{operator} lacks {sorted(missing)}"

"""Fine-tunes: start, list, inspect, cancel, and read the events of fine-tuning jobs.

Today these are ``/fine_tuning/jobs`` calls; ``legacy=True`` (or the connection extra
``legacy_endpoints``) sends them to the 2023 ``/fine-tunes`` endpoints instead.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator, api_arguments


class OpenAICreateFineTuneOperator(OpenAIAdvBaseOperator):
    """Start a fine-tuning job; XCom holds the job (its ``id`` feeds the other operators).

    :param training_file: id of an uploaded file with purpose ``fine-tune`` (templated).
    :param model: the base model, e.g. ``gpt-4o-mini-2024-07-18`` (required today).
    :param n_epochs: also ``batch_size``, ``learning_rate_multiplier``: hyperparameters,
        sent as the supervised method's today.
    :param prompt_loss_weight: and the ``classification_*`` arguments: legacy only.
    """

    hook_method = "create_fine_tune"
    templated_params = ("training_file", "validation_file", "model", "suffix", "metadata")

    def __init__(
        self,
        *,
        training_file: str,
        model: str | None = None,
        validation_file: str | None = None,
        suffix: str | None = None,
        n_epochs: int | str | None = None,
        batch_size: int | str | None = None,
        learning_rate_multiplier: float | str | None = None,
        hyperparameters: dict[str, Any] | None = None,
        method: dict[str, Any] | None = None,
        seed: int | None = None,
        metadata: dict[str, str] | None = None,
        integrations: list[dict[str, Any]] | None = None,
        prompt_loss_weight: float | None = None,
        compute_classification_metrics: bool | None = None,
        classification_n_classes: int | None = None,
        classification_positive_class: str | None = None,
        classification_betas: list[float] | None = None,
        legacy: bool | None = None,
        extra_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)


class OpenAIListFineTunesOperator(OpenAIAdvBaseOperator):
    """List fine-tuning jobs, newest first: every page unless ``limit`` asks for fewer.

    :param metadata: only jobs whose metadata has these key/value pairs (today's API).
    """

    hook_method = "list_fine_tunes"
    templated_params = ("metadata",)

    def __init__(
        self,
        *,
        limit: int | None = None,
        metadata: dict[str, str] | None = None,
        legacy: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)


class OpenAIRetrieveFineTuneOperator(OpenAIAdvBaseOperator):
    """One fine-tuning job, with its status and (when done) ``fine_tuned_model``."""

    hook_method = "retrieve_fine_tune"
    templated_params = ("fine_tune_id",)

    def __init__(self, *, fine_tune_id: str, legacy: bool | None = None, **kwargs: Any) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)


class OpenAICancelFineTuneOperator(OpenAIAdvBaseOperator):
    """Cancel a fine-tuning job that has not finished."""

    hook_method = "cancel_fine_tune"
    templated_params = ("fine_tune_id",)

    def __init__(self, *, fine_tune_id: str, legacy: bool | None = None, **kwargs: Any) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)


class OpenAIListFineTuneEventsOperator(OpenAIAdvBaseOperator):
    """A fine-tuning job's events (newest first today), every page unless ``limit``."""

    hook_method = "list_fine_tune_events"
    templated_params = ("fine_tune_id",)

    def __init__(
        self, *, fine_tune_id: str, limit: int | None = None, legacy: bool | None = None, **kwargs: Any
    ) -> None:
        super().__init__(api_params=api_arguments(locals()), **kwargs)

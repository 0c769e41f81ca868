"""Fine-tunes: start, list, inspect, cancel, and read the events of fine-tuning jobs.

Today these are ``/fine_tuning/jobs`` calls; ``legacy=True`` (or the connection extra
``legacy_endpoints``) sends them to the 2023 ``/fine-tunes`` endpoints instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, BaseOperator, BaseOperatorLink

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.jobs.engine import DEFAULT_GRACE
from airflow_provider_openai_adv.operators.base import RemovedActionOperator
from airflow_provider_openai_adv.operators.jobs import JobOperator
from airflow_provider_openai_adv.waiting import default_deferrable

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.jobs.kinds import JobKind

DASHBOARD_URL = "https://platform.openai.com/finetune"
JOB_ID_KEY = "fine_tune_id"


class OpenAIFineTuneJobLink(BaseOperatorLink):
    """The job's page in the OpenAI dashboard."""

    name = "OpenAI fine-tuning job"

    def get_link(self, operator: BaseOperator, *, ti_key: Any) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        job_id = XCom.get_value(ti_key=ti_key, key=JOB_ID_KEY)
        return f"{DASHBOARD_URL}/{job_id}" if job_id else ""


class _FineTuneJobOperator(JobOperator, RemovedActionOperator):
    """What a fine-tuning job adds to any job: its kind, and the model as an Asset.

    :param model_asset: an Airflow Asset (or its URI) updated when the model is ready, its
        event's ``extra`` holding ``fine_tuned_model``, so DAGs scheduled on it run on
        each new model.
    """

    def __init__(self, *, model_asset: Asset | str | None = None, **kwargs: Any) -> None:
        asset = self.model_asset  # recorded already, from this call or the subclass's
        if asset is not None:
            self.model_asset = asset if isinstance(asset, Asset) else Asset(asset)
            kwargs["outlets"] = [*(kwargs.get("outlets") or []), self.model_asset]
        super().__init__(**kwargs)

    def job_kind(self) -> JobKind:
        return self.hook.fine_tune_kind

    def succeeded(self, job: dict[str, Any], context: Context) -> dict[str, Any]:
        self.log.info("Fine-tuned model ready: %s", job.get("fine_tuned_model"))
        if self.model_asset is not None:
            context["outlet_events"][self.model_asset].extra = {
                "fine_tuned_model": job.get("fine_tuned_model"),
                "fine_tune_id": job.get("id"),
                "base_model": job.get("model"),
            }
        return job


class OpenAICreateFineTuneOperator(_FineTuneJobOperator):
    """Start a fine-tuning job and, if asked, wait for it; XCom holds the job.

    **Starting.** ``training_file`` is the id of an uploaded file with purpose
    ``fine-tune``; ``n_epochs``, ``batch_size`` and ``learning_rate_multiplier`` are sent
    as the supervised method's hyperparameters today; ``prompt_loss_weight`` and the
    ``classification_*`` arguments exist only on the legacy endpoint.

    **Never twice.** The job is tagged with this task instance (metadata key
    ``airflow_task``); when the task is retried after a lost worker or a timeout, it finds
    that job and waits on it instead of paying for a second one (today's API; jobs that
    failed or were cancelled are not reused).

    **Waiting.** With ``wait_for_completion=True`` the task ends when the job does: in the
    worker, logging the job's events and metrics, or, with ``deferrable=True`` (default
    ``[operators] default_deferrable``), in the triggerer. Only success passes; a failed
    or cancelled job fails the task with OpenAI's message. A server unreachable for a
    while is ridden out (``transient_error_grace``). ``wait_timeout`` (seconds) and the
    task's ``execution_timeout`` bound the wait; the job is then cancelled unless
    ``cancel_on_timeout=False``, and the error says which happened. Killing a task that
    waits in the worker cancels the job it started (``cancel_on_kill``).

    **After.** The job's dashboard page is an extra link; with ``model_asset`` the task
    updates that Airflow Asset when the model is ready.
    """

    hook_method = OpenAIAdvHook.create_fine_tune
    templated = ("training_file", "validation_file", "model", "suffix", "metadata")
    operator_extra_links = (OpenAIFineTuneJobLink(),)

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
        wait_for_completion: bool = False,
        deferrable: bool = default_deferrable(),
        poll_interval: float = 60.0,
        wait_timeout: float | None = None,
        transient_error_grace: float = DEFAULT_GRACE,
        cancel_on_timeout: bool = True,
        cancel_on_kill: bool = True,
        reattach: bool = True,
        model_asset: Asset | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)


class OpenAIListFineTunesOperator(RemovedActionOperator):
    """List fine-tuning jobs, newest first: every page unless ``limit`` asks for fewer.

    :param metadata: only jobs whose metadata has these key/value pairs (today's API).
    """

    hook_method = OpenAIAdvHook.list_fine_tunes
    templated = ("metadata",)

    def __init__(
        self,
        *,
        limit: int | None = None,
        metadata: dict[str, str] | None = None,
        legacy: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)


class OpenAIRetrieveFineTuneOperator(RemovedActionOperator):
    """One fine-tuning job, with its status and (when done) ``fine_tuned_model``."""

    hook_method = OpenAIAdvHook.retrieve_fine_tune
    templated = ("fine_tune_id",)

    def __init__(self, *, fine_tune_id: str, legacy: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class OpenAICancelFineTuneOperator(RemovedActionOperator):
    """Cancel a fine-tuning job that has not finished."""

    hook_method = OpenAIAdvHook.cancel_fine_tune
    templated = ("fine_tune_id",)

    def __init__(self, *, fine_tune_id: str, legacy: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)


class OpenAIListFineTuneEventsOperator(RemovedActionOperator):
    """A fine-tuning job's events (newest first today), every page unless ``limit``."""

    hook_method = OpenAIAdvHook.list_fine_tune_events
    templated = ("fine_tune_id",)

    def __init__(
        self, *, fine_tune_id: str, limit: int | None = None, legacy: bool | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)

"""Fine-tunes: start, list, inspect, cancel, and read the events of fine-tuning jobs.

Today these are ``/fine_tuning/jobs`` calls; ``legacy=True`` (or the connection extra
``legacy_endpoints``) sends them to the 2023 ``/fine-tunes`` endpoints instead.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, BaseOperator, BaseOperatorLink

from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator, api_arguments
from airflow_provider_openai_adv.sensors.fine_tune import FineTuneWaiting, default_deferrable

if TYPE_CHECKING:
    from airflow.sdk import Context

DASHBOARD_URL = "https://platform.openai.com/finetune"
JOB_ID_KEY = "fine_tune_id"
WAIT_SETTINGS = (
    "wait_for_completion",
    "deferrable",
    "poll_interval",
    "wait_timeout",
    "cancel_on_timeout",
    "cancel_on_kill",
    "reattach",
    "model_asset",
)


class OpenAIFineTuneJobLink(BaseOperatorLink):
    """The job's page in the OpenAI dashboard."""

    name = "OpenAI fine-tuning job"

    def get_link(self, operator: BaseOperator, *, ti_key: Any) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        job_id = XCom.get_value(ti_key=ti_key, key=JOB_ID_KEY)
        return f"{DASHBOARD_URL}/{job_id}" if job_id else ""


class OpenAICreateFineTuneOperator(FineTuneWaiting, OpenAIAdvBaseOperator):
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
    or cancelled job fails the task with OpenAI's message. ``wait_timeout`` (seconds)
    bounds the wait; the job is then cancelled unless ``cancel_on_timeout=False``, and the
    error says which happened. Killing a task that waits in the worker cancels the job it
    started (``cancel_on_kill``).

    **After.** The job's dashboard page is an extra link; with ``model_asset`` the task
    updates that Airflow Asset when the model is ready (its event's ``extra`` holds
    ``fine_tuned_model``), so DAGs scheduled on it run on each new model.
    """

    hook_method = "create_fine_tune"
    templated_params = ("training_file", "validation_file", "model", "suffix", "metadata")
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
        cancel_on_timeout: bool = True,
        cancel_on_kill: bool = True,
        reattach: bool = True,
        model_asset: Asset | str | None = None,
        **kwargs: Any,
    ) -> None:
        params = api_arguments(locals())
        for setting in WAIT_SETTINGS:
            params.pop(setting, None)
        if model_asset is not None:
            model_asset = model_asset if isinstance(model_asset, Asset) else Asset(model_asset)
            kwargs["outlets"] = [*(kwargs.get("outlets") or []), model_asset]
        super().__init__(api_params=params, **kwargs)
        self.legacy = legacy
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.cancel_on_timeout = cancel_on_timeout
        self.cancel_on_kill = cancel_on_kill
        self.reattach = reattach
        self.model_asset = model_asset
        self.job_id: str | None = None

    def execute(self, context: Context) -> Any:
        params = {**self.api_options, **self.api_params}
        if self.reattach and "ti" in context:
            params["reattach_key"] = self._task_tag(context)
        job = self.call_api(params)
        self.log.info("Fine-tuning job %s is %s: %s/%s", job["id"], job.get("status"), DASHBOARD_URL, job["id"])
        self.job_id = job["id"]
        context["ti"].xcom_push(key=JOB_ID_KEY, value=job["id"])
        if not self.wait_for_completion:
            return job
        deadline = time.time() + self.wait_timeout if self.wait_timeout else None
        if self.deferrable:
            self.defer_until_finished(job["id"], deadline, None)
        return self._succeeded(self._wait_in_worker(job, deadline), context)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        from airflow_provider_openai_adv.status import FineTuneFailed, Outcome

        self.job_id = (event or {}).get("fine_tune_id")
        try:
            job = self.finished_job(event)
        except FineTuneFailed as error:
            if error.outcome is Outcome.TIMEOUT:
                self._give_up(str(error))
            raise
        return self._succeeded(job, context)

    def on_kill(self) -> None:
        from airflow_provider_openai_adv.status import is_finished

        if not (self.cancel_on_kill and self.job_id):
            return
        if not is_finished(self.hook.retrieve_fine_tune(self.job_id, legacy=self.legacy)):
            self.hook.cancel_fine_tune(self.job_id, legacy=self.legacy)
            self.log.info("Cancelled fine-tuning job %s as the task was killed", self.job_id)

    def _wait_in_worker(self, job: dict[str, Any], deadline: float | None) -> dict[str, Any]:
        from airflow_provider_openai_adv.progress import ProgressLog
        from airflow_provider_openai_adv.status import check_event, is_finished, job_event

        progress = ProgressLog(self.log, legacy=self.hook.use_legacy(self.legacy))
        while not is_finished(job := self.poll(job["id"], progress)):
            remaining = None if deadline is None else deadline - time.time()
            if remaining is not None and remaining <= 0:
                self._give_up(f"fine-tuning job {job['id']} was still {job['status']} after {self.wait_timeout:g} s")
            time.sleep(self.poll_interval if remaining is None else min(self.poll_interval, remaining))
        check_event(job_event(job))
        return job

    def _give_up(self, reason: str) -> None:
        """The wait timed out: cancel the job unless told not to, and fail saying which."""
        from airflow_provider_openai_adv.status import FineTuneFailed, Outcome

        if self.cancel_on_timeout and self.job_id:
            self.hook.cancel_fine_tune(self.job_id, legacy=self.legacy)
            reason += "; the job was cancelled"
        else:
            reason += "; the job was left running (cancel_on_timeout=False)"
        raise FineTuneFailed(reason, outcome=Outcome.TIMEOUT, fine_tune_id=self.job_id)

    def _succeeded(self, job: dict[str, Any], context: Context) -> dict[str, Any]:
        self.log.info("Fine-tuned model ready: %s", job.get("fine_tuned_model"))
        if self.model_asset is not None:
            context["outlet_events"][self.model_asset].extra = {
                "fine_tuned_model": job.get("fine_tuned_model"),
                "fine_tune_id": job.get("id"),
                "base_model": job.get("model"),
            }
        return job

    @staticmethod
    def _task_tag(context: Context) -> str:
        """This task instance, as the value of the job's ``airflow_task`` metadata key."""
        ti = context["ti"]
        tag = f"{ti.dag_id}/{ti.task_id}/{ti.run_id}/{getattr(ti, 'map_index', -1)}"
        return tag if len(tag) <= 512 else hashlib.sha256(tag.encode()).hexdigest()


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

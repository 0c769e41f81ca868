"""``OpenAIFineTuneSensor``: wait for a fine-tuning job, in any sensor mode."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.sensors.job import OpenAIJobSensor

if TYPE_CHECKING:
    from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
    from airflow_provider_openai_adv.jobs.kinds import JobKind


class OpenAIFineTuneSensor(OpenAIJobSensor):
    """Wait until a fine-tuning job succeeds; XCom gets the job (with ``fine_tuned_model``).

    Fails with the job's own error when it fails or is cancelled. Works in ``poke`` and
    ``reschedule`` mode and, with ``deferrable=True``, in the triggerer without holding a
    worker slot. ``timeout`` bounds the wait in every mode. The job's events and training
    metrics are logged.

    :param fine_tune_id: the job (templated).
    :param legacy: the job is a 2023 ``/fine-tunes`` job (default: the connection's
        ``legacy_endpoints`` extra).
    """

    job_id_field = "fine_tune_id"
    template_fields = ("fine_tune_id", "conn_id")

    def __init__(self, *, fine_tune_id: str, legacy: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fine_tune_id = fine_tune_id
        self.legacy = legacy

    @cached_property
    def hook(self) -> OpenAIAdvHook:
        from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

        return OpenAIAdvHook.for_connection(self.conn_id, legacy=self.legacy)

    def job_kind(self) -> JobKind:
        return self.hook.fine_tune_kind

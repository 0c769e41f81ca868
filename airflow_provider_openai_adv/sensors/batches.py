"""``OpenAIBatchSensor``: wait for a batch created elsewhere, in any sensor mode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.sensors.job import OpenAIJobSensor

if TYPE_CHECKING:
    from airflow_provider_openai_adv.jobs.kinds import JobKind


class OpenAIBatchSensor(OpenAIJobSensor):
    """Wait until a batch completes; XCom gets the batch (its ``output_file_id``,
    ``error_file_id`` and ``request_counts``).

    A batch that failed validation, was cancelled or expired fails the task with the
    reason (OpenAI's errors for a failed one). Works in ``poke`` and ``reschedule`` mode
    and, with ``deferrable=True``, in the triggerer. The request counts are logged as they
    move. How many of the requests succeeded is for the next task to judge from the files.

    :param batch_id: the batch (templated).
    """

    job_id_field = "batch_id"
    template_fields = ("batch_id", "conn_id")

    def __init__(self, *, batch_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch_id = batch_id

    def job_kind(self) -> JobKind:
        from airflow_provider_openai_adv.jobs.batches import BATCH

        return BATCH

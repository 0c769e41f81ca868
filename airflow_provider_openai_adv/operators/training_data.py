"""Checking fine-tuning data before it is uploaded and paid for."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class OpenAICheckFineTuneDataOperator(OpenAIAdvBaseOperator):
    """Check a JSONL fine-tuning file line by line; no API call is made.

    XCom holds the report (see ``airflow_provider_openai_adv.training_data.DatasetReport``):
    the format, the number of examples, the estimated tokens and the errors by line.

    :param file: a local path or an object-storage URI such as ``s3://bucket/train.jsonl`` (templated).
    :param data_format: ``auto`` (the default), ``chat``, ``completion`` or ``preference``.
    :param min_examples: fewer valid examples is an error; OpenAI needs 10.
    :param max_example_tokens: an example estimated longer is an error; ``None`` for no limit.
    :param fail_on_error: fail the task when the data is invalid; with ``False`` the task
        succeeds and the errors are only in the report.
    """

    templated = ("file",)

    def __init__(
        self,
        *,
        file: str,
        data_format: str = "auto",
        min_examples: int = 10,
        max_example_tokens: int | None = 65_536,
        fail_on_error: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_openai_adv.hooks.storage import open_source
        from airflow_provider_openai_adv.training_data import SHOWN_ERRORS, check_training_data

        limits = {"min_examples": self.min_examples, "max_example_tokens": self.max_example_tokens}
        with open_source(self.file, argument="file") as lines:
            report = check_training_data(lines, data_format=self.data_format, **limits)
        report = replace(report, source=str(self.file))
        self.log.info(
            "Checked %s: format=%s, examples=%d, estimated tokens=%d (largest example %d), errors=%d",
            self.file,
            report.data_format,
            report.examples,
            report.estimated_tokens,
            report.max_example_tokens_seen,
            report.error_count,
        )
        for error in report.errors[:SHOWN_ERRORS]:
            self.log.warning("%s", error)
        if self.fail_on_error:
            report.raise_for_errors("file")
        return report.to_dict()

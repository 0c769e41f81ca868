"""What the two bulk operators share: rows in, one result per row out, and the verdict.

``OpenAIBatchOperator`` and ``OpenAIBulkRequestsOperator`` take the same rows and write the
same results (``bulk/``); only how the requests travel differs. This mixin holds the part
that is the same: reading the arguments (the operator's recorded parameters), refusing bad
ones before any request, and judging the written results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.bulk.results import Summary
    from airflow_provider_openai_adv.bulk.rows import RowSource
    from airflow_provider_openai_adv.bulk.template import RequestTemplate


class RowsToResults:
    """Mixed into an operator with ``input``, ``input_format``, ``columns``, ``id_column``,
    ``endpoint``, ``body``, ``text_format``, ``output_path``, ``output_format`` and
    ``max_failed_fraction``."""

    input: Any
    input_format: str | None
    columns: list[str] | None
    id_column: str | None
    endpoint: str
    body: dict[str, Any]
    output_path: str
    output_format: str | None
    text_format: Any
    max_failed_fraction: float

    @property
    def rows(self) -> RowSource:
        from airflow_provider_openai_adv.bulk.rows import RowSource

        return RowSource(self.input, self.input_format, self.columns, self.id_column)

    @property
    def template(self) -> RequestTemplate:
        from airflow_provider_openai_adv.bulk.template import RequestTemplate
        from airflow_provider_openai_adv.structured import output_schema

        return RequestTemplate(self.endpoint, self.body, output_schema(self.text_format, argument="text_format"))

    def check_arguments(self) -> None:
        """Everything that can be refused, before any request: the rows and output settings,
        the operator's own (:meth:`check_settings`), and the first row against the body's
        placeholders."""
        from airflow_provider_openai_adv import validation as check
        from airflow_provider_openai_adv.bulk.results import check_output
        from airflow_provider_openai_adv.hooks.storage import check_output_file

        self.rows.check()
        check_output_file(self.output_path)
        check_output(self.output_path, self.output_format)
        check.require_range("max_failed_fraction", self.max_failed_fraction, 0, 1)
        self.check_settings()
        first = next(iter(self.rows), None)
        if first is None:
            raise check.fail("input", f"{self.input} holds no rows")
        self.template.check(set(first.values))

    def check_settings(self) -> None:
        """The operator's own arguments."""

    def verdict(self, summary: Summary, context: Context) -> dict[str, Any]:
        """XCom gets the summary (and its usage under ``usage``); rows without an answer over
        ``max_failed_fraction`` fail the task, after the output is written, naming a few."""
        from airflow_provider_openai_adv.bulk.results import SUCCEEDED
        from airflow_provider_openai_adv.exceptions import OpenAIAdvError

        if summary.usage:
            context["ti"].xcom_push(key="usage", value=summary.usage)
        unanswered = summary.total - summary.counts.get(SUCCEEDED, 0)
        if summary.total and unanswered / summary.total > self.max_failed_fraction:
            samples = "; ".join(summary.sample_errors)
            raise OpenAIAdvError(
                f"{unanswered} of {summary.total} rows got no answer (max_failed_fraction is "
                f"{self.max_failed_fraction:g}); the results are in {summary.path}. First errors: {samples}"
            )
        return summary.to_xcom()

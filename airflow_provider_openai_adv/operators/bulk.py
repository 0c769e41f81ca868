"""Bulk requests now: rows in, results joined to the rows out, as direct requests paced to
the account's rate limits — for answers needed within the hour, not the day.

``OpenAIBulkRequestsOperator`` takes what ``OpenAIBatchOperator`` takes and writes what it
writes (``bulk/rows.py``, ``template.py``, ``results.py``); the requests go straight to the
API (``bulk/direct.py``), packed, concurrent and paced (``bulk/pacing.py``), with a
checkpoint beside the output so a retried task sends only what is left. Why it is an
operator of its own rather than a mode of the batch one: ``docs/bulk.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.operators.base import OpenAIAdvBaseOperator
from airflow_provider_openai_adv.operators.rows import RowsToResults

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_adv.bulk.direct import BulkJob
    from airflow_provider_openai_adv.bulk.results import Summary

MAX_CONCURRENCY = 256  # requests in flight; more only queues in the server and in the pool
MAX_RETRIES = 20


class OpenAIBulkRequestsOperator(RowsToResults, OpenAIAdvBaseOperator):
    """Send every row as a direct request, as fast as the account's limits allow; write the
    results beside the rows.

    **In** and **out** as :class:`~airflow_provider_openai_adv.operators.batches.OpenAIBatchOperator`:
    ``input`` is a list of rows or a JSONL, CSV or Parquet file (local or object storage),
    ``columns`` and ``id_column`` pick the columns and each row's ``custom_id``, ``endpoint``
    and a ``body`` with ``{column}`` placeholders make each row's request; ``output_path``
    (``.jsonl`` or ``.parquet``) gets one record per input row, in input order (its columns,
    ``custom_id``, ``status``, ``response``, ``error``), and XCom the path, the counts and
    the summed usage (plus ``requests``, ``rate_limited`` and ``resumed``: rows an earlier
    try had finished)::

        OpenAIBulkRequestsOperator(
            task_id="embed",
            input="s3://docs/{{ ds }}.parquet", id_column="doc_id",
            endpoint="/v1/embeddings", body={"model": "text-embedding-3-small", "input": "{text}"},
            output_path="s3://docs/vectors/{{ ds }}.parquet",
        )

    **Packed.** Embeddings rows share requests (up to 2,048 inputs, a small share of the
    tokens per minute, never over 300,000 tokens); other endpoints send a row per request.

    **Paced.** ``max_concurrency`` requests at most are in flight on one pooled client; a
    pacer reads the account's limits from the answers' ``x-ratelimit-*`` headers and keeps
    just under whichever of requests or tokens per minute binds, backing off on a 429 (after
    its ``retry-after``) and creeping back. ``requests_per_minute`` / ``tokens_per_minute``
    cap it lower, for a key other work shares or a server that sends no such headers.

    **Resumable.** Each finished row's result is checkpointed beside the output
    (``<output_path>.checkpoint/``) as it arrives; a retried task reads it and sends only the
    rest. The checkpoint is removed once the output is written and accepted. For a retry on
    another worker to find it, give an object-storage ``output_path`` or a shared folder.

    **Outcomes.** 5xx, timeouts and dropped connections are retried ``max_retries`` times; a
    row refused (400) fails alone; rows without an answer over ``max_failed_fraction``
    (default 0) fail the task after the output is written, naming a few errors. A 401, 403,
    404 or an exhausted quota fails the task at once (they would refuse every row).

    **Typed answers.** ``text_format`` (a Pydantic model class or a JSON schema; chat and
    responses only) is asked for in every request, and each answer is validated against it:
    the record's ``parsed`` holds the value, and an answer that does not fit fails its row,
    the error naming the field.

    Progress goes to the task log every 30 s: rows done of all, rows per second, the last
    minute's requests and tokens against the limits, and the estimated time left.
    """

    templated = ("input", "body", "output_path")

    def __init__(
        self,
        *,
        input: Any,  # noqa: A002 - the operator's input
        endpoint: str,
        body: dict[str, Any],
        output_path: str,
        text_format: Any = None,
        columns: list[str] | None = None,
        id_column: str | None = None,
        input_format: str | None = None,
        output_format: str | None = None,
        max_failed_fraction: float = 0.0,
        max_concurrency: int = 16,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        max_retries: int = 5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job: BulkJob | None = None

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_openai_adv.bulk.direct import BulkJob, direct_client
        from airflow_provider_openai_adv.bulk.pacing import Pacer

        self.check_arguments()
        pacer = Pacer(requests_per_minute=self.requests_per_minute, tokens_per_minute=self.tokens_per_minute)
        client = direct_client(self.hook.client, self.max_concurrency)
        self.job = job = BulkJob(
            self.rows, self.template, self.output_path, client, pacer,
            output_format=self.output_format, max_concurrency=self.max_concurrency,
            max_retries=self.max_retries, logger=self.log,
        )  # fmt: skip
        try:
            summary = job.run()
        finally:
            client.close()
        result = self.verdict(summary, context)
        job.discard_checkpoint()
        return result

    def on_kill(self) -> None:
        if self.job is not None:
            self.job.stop("the task was killed")

    # -- the steps -----------------------------------------------------------------------

    def check_settings(self) -> None:
        from airflow_provider_openai_adv import validation as check

        check.require_range("max_concurrency", self.max_concurrency, 1, MAX_CONCURRENCY, integer=True)
        check.require_range("requests_per_minute", self.requests_per_minute, 1, integer=True)
        check.require_range("tokens_per_minute", self.tokens_per_minute, 1, integer=True)
        check.require_range("max_retries", self.max_retries, 0, MAX_RETRIES, integer=True)

    def verdict(self, summary: Summary, context: Context) -> dict[str, Any]:
        """The shared verdict (a failure keeps the checkpoint, so a retry sends only the rows
        without an answer), plus what the sending took."""
        result = super().verdict(summary, context)
        tally = self.job.tally if self.job is not None else None
        if tally is None:
            return result
        return {**result, "requests": tally.requests, "rate_limited": tally.rate_limited, "resumed": tally.skipped}

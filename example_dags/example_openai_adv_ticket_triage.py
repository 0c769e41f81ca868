"""Triage support tickets into a typed label, then branch on what came back.

classify (every ticket through the Responses API as direct requests, each answer
validated against the ``TicketLabel`` Pydantic model: a category, an urgency and a short
summary, written beside the ticket) → triage (reads the labels: counts by category, the
urgent tickets) → route (branches) → escalate (a response drafting a note for the on-call
engineer, streamed to the task log) or digest (the day's counts, logged).

An answer that does not fit the model fails its row, naming the field, instead of
reaching the branch as text that merely looks right. Runs against the connection
``openai_adv_default``: the emulator in tests, or OpenAI with a real key.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from airflow.sdk import dag, task
from pydantic import BaseModel, Field

from airflow_provider_openai_adv.operators import OpenAIBulkRequestsOperator, OpenAICreateResponseOperator

TICKETS = str(Path(__file__).parent / "data" / "support_tickets.jsonl")
LABELS = "{{ params.output_dir }}/{{ run_id | replace(':', '_') | replace('+', '_') }}/labels.jsonl"
INSTRUCTIONS = (
    "You triage customer support tickets. Give the ticket's category, how urgent it is (high when "
    "customers or revenue are blocked right now), and its problem in at most ten words."
)


class TicketLabel(BaseModel):
    category: Literal["billing", "technical", "account", "shipping"]
    urgency: Literal["low", "normal", "high"]
    summary: str = Field(description="the customer's problem in at most ten words")


@dag(
    dag_id="openai_adv_ticket_triage",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={"output_dir": "/tmp/openai_adv_ticket_triage", "model": "gpt-4.1-mini"},
    tags=["openai_adv", "example", "responses"],
    doc_md=__doc__,
)
def openai_adv_ticket_triage():
    classify = OpenAIBulkRequestsOperator(
        task_id="classify",
        input=TICKETS,
        id_column="id",
        endpoint="/v1/responses",
        body={"model": "{{ params.model }}", "instructions": INSTRUCTIONS, "input": "{text}", "max_output_tokens": 200},
        text_format=TicketLabel,
        output_path=LABELS,
        max_concurrency=4,
    )

    @task
    def triage(summary: dict) -> dict:
        """The labels, read back: tickets per category, and the urgent ones."""
        import json
        from collections import Counter

        with open(summary["path"]) as results:
            labels = {row["id"]: row["parsed"] for row in map(json.loads, results) if row["status"] == "succeeded"}
        urgent = {ticket: label["summary"] for ticket, label in labels.items() if label["urgency"] == "high"}
        counts = Counter(label["category"] for label in labels.values())
        print(f"{len(labels)} of {summary['total']} tickets labelled: {dict(counts)}; urgent: {sorted(urgent)}")
        return {"counts": dict(counts), "urgent": urgent}

    @task.branch
    def route(triaged: dict) -> str:
        return "escalate" if triaged["urgent"] else "digest"

    escalate = OpenAICreateResponseOperator(
        task_id="escalate",
        model="{{ params.model }}",
        instructions="Write a three-line note for the on-call engineer. Name each ticket id.",
        input="Urgent tickets: {{ ti.xcom_pull(task_ids='triage')['urgent'] | tojson }}",
        max_output_tokens=300,
        stream=True,
    )

    @task
    def digest(triaged: dict) -> None:
        for category, count in sorted(triaged["counts"].items()):
            print(f"{category:10} {count}")

    triaged = triage(classify.output)
    route(triaged) >> [escalate, digest(triaged)]


openai_adv_ticket_triage()

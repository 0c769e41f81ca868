"""Background responses as the wait engine sees them: ``/responses/{id}`` and its statuses.

A background response is queued, then in progress, then done. ``incomplete`` is done too:
the model stopped early (``max_output_tokens``, a content filter) but produced what it
produced — whether that is good enough is the operator's call (``allow_incomplete``), as
a completed batch's failed lines are the batch operator's, not the engine's.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_adv.jobs.kinds import JobKind, JobState

STATUSES = {
    "completed": JobState.SUCCEEDED,
    "incomplete": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
}


def incomplete_reason(response: dict[str, Any]) -> str:
    """Why a response stopped early, in OpenAI's words (``max_output_tokens``, ``content_filter``)."""
    details = response.get("incomplete_details")
    reason = details.get("reason") if isinstance(details, dict) else None
    return str(reason) if reason else "no reason given"


RESPONSE = JobKind(
    name="response",
    noun="response",
    id_name="response_id",
    retrieve="responses/{response_id}",
    cancel="responses/{response_id}/cancel",
    statuses=STATUSES,
    dashboard="https://platform.openai.com/logs/{id}",
)

KINDS = {RESPONSE.name: RESPONSE}

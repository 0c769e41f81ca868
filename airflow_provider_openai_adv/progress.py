"""What a fine-tuning job is doing, as lines for a task log.

Shared by the operator, the sensor and the trigger, so every wait reports the same way:
the job's new events (oldest first, each once), training metrics when the API sends
them, and the estimated finish time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

METRIC_NAMES = ("train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy")


def unseen_events(
    events: list[dict[str, Any]], last_event_id: str | None, *, newest_first: bool = True
) -> list[dict[str, Any]]:
    """The events after ``last_event_id``, oldest first.

    Today's API lists events newest first, the 2023 API oldest first; the list's own
    order is kept (timestamps are whole seconds, too coarse to sort by).
    """
    ordered = list(reversed(events)) if newest_first else list(events)
    ids = [event.get("id") for event in ordered]
    if last_event_id in ids:
        return ordered[ids.index(last_event_id) + 1 :]
    return ordered


def describe_event(event: dict[str, Any]) -> str:
    """One event as a log line; metrics events as step, progress and losses."""
    data = event.get("data") or {}
    if event.get("type") == "metrics" and isinstance(data, dict) and "step" in data:
        total = data.get("total_steps")
        progress = f" ({100 * data['step'] / total:.0f}%)" if total else ""
        numbers = [name for name in METRIC_NAMES if isinstance(data.get(name), (int, float))]
        metrics = ", ".join(f"{name}={data[name]:.4g}" for name in numbers)
        return f"step {data['step']}{f'/{total}' if total else ''}{progress}" + (f": {metrics}" if metrics else "")
    return str(event.get("message") or event.get("type") or "event")


def describe_job(job: dict[str, Any]) -> str:
    """Status, trained tokens and the estimated finish, when the API gives them."""
    parts = [f"fine-tuning job {job.get('id')} is {job.get('status')}"]
    if job.get("trained_tokens"):
        parts.append(f"{job['trained_tokens']} tokens trained")
    finish = job.get("estimated_finish")
    if finish:
        parts.append(f"estimated finish {datetime.fromtimestamp(finish, timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
    return ", ".join(parts)


class ProgressLog:
    """Logs each new event of one job once, and the job's state when it changes."""

    def __init__(self, log: Any, last_event_id: str | None = None, *, legacy: bool = False) -> None:
        self.log = log
        self.last_event_id = last_event_id
        self.newest_first = not legacy
        self._last_state: str | None = None

    def report(self, job: dict[str, Any], events: list[dict[str, Any]]) -> None:
        for event in unseen_events(events, self.last_event_id, newest_first=self.newest_first):
            self.log.info("[%s] %s", job.get("id"), describe_event(event))
            self.last_event_id = event.get("id") or self.last_event_id
        state = describe_job(job)
        if state != self._last_state:
            self.log.info("%s", state)
            self._last_state = state

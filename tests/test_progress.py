"""A job's events as task-log lines: each once, in order, metrics readable."""

from __future__ import annotations

from airflow_provider_openai_adv.progress import ProgressLog, describe_event, describe_job, unseen_events

EVENTS_NEWEST_FIRST = [
    {"id": "e3", "created_at": 10, "type": "metrics", "data": {"step": 2, "total_steps": 4, "train_loss": 0.5}},
    {"id": "e2", "created_at": 10, "type": "message", "message": "Training started"},
    {"id": "e1", "created_at": 10, "type": "message", "message": "Job created"},
]


class Lines:
    def __init__(self):
        self.lines = []

    def info(self, template, *args):
        self.lines.append(template % args)


def test_unseen_events_come_oldest_first_after_the_last_reported():
    assert [e["id"] for e in unseen_events(EVENTS_NEWEST_FIRST, None)] == ["e1", "e2", "e3"]
    assert [e["id"] for e in unseen_events(EVENTS_NEWEST_FIRST, "e2")] == ["e3"]
    assert unseen_events(EVENTS_NEWEST_FIRST, "e3") == []
    oldest_first = list(reversed(EVENTS_NEWEST_FIRST))  # the 2023 API's order
    assert [e["id"] for e in unseen_events(oldest_first, "e1", newest_first=False)] == ["e2", "e3"]


def test_metrics_events_read_as_steps_with_progress_and_losses():
    assert describe_event(EVENTS_NEWEST_FIRST[0]) == "step 2/4 (50%): train_loss=0.5"
    assert describe_event(EVENTS_NEWEST_FIRST[1]) == "Training started"


def test_the_job_line_has_tokens_and_the_estimated_finish():
    line = describe_job({"id": "ftjob-1", "status": "running", "trained_tokens": 300, "estimated_finish": 0})
    assert line == "fine-tuning job ftjob-1 is running, 300 tokens trained"
    assert "estimated finish 1970-01-01 00:01:40 UTC" in describe_job(
        {"id": "j", "status": "running", "estimated_finish": 100}
    )


def test_the_log_reports_each_event_once_and_the_state_when_it_changes():
    lines = Lines()
    progress = ProgressLog(lines)
    job = {"id": "ftjob-1", "status": "running"}
    progress.report(job, EVENTS_NEWEST_FIRST[1:])
    progress.report(job, EVENTS_NEWEST_FIRST)
    assert lines.lines == [
        "[ftjob-1] Job created",
        "[ftjob-1] Training started",
        "fine-tuning job ftjob-1 is running",
        "[ftjob-1] step 2/4 (50%): train_loss=0.5",
    ]
    assert progress.last_event_id == "e3"

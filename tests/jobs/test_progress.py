"""A job's events as task-log lines: each once, in order, every one between two polls."""

from __future__ import annotations

from airflow_provider_openai_adv.jobs.fine_tuning import FINE_TUNE, event_line, job_line
from airflow_provider_openai_adv.jobs.progress import NewEvents, ProgressLog

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


def new_events(pages, last_event_id=None, **options):
    """Feed ``pages`` to a NewEvents; the pages it asked for and what it found."""
    events = NewEvents(last_event_id, **options)
    read = 0
    for page in pages:
        read += 1
        if not events.take(page):
            break
    return read, events


def test_new_events_come_oldest_first_after_the_last_reported():
    assert [e["id"] for e in new_events([EVENTS_NEWEST_FIRST])[1].oldest_first()] == ["e1", "e2", "e3"]
    assert [e["id"] for e in new_events([EVENTS_NEWEST_FIRST], "e2")[1].oldest_first()] == ["e3"]
    assert new_events([EVENTS_NEWEST_FIRST], "e3")[1].oldest_first() == []


def test_pages_are_read_until_the_last_reported_event_and_no_further():
    pages = [[{"id": f"e{n}"} for n in range(start, start - 100, -1)] for start in (300, 200, 100)]
    read, events = new_events(pages, "e150")
    assert read == 2  # the second page holds e150
    assert [e["id"] for e in events.oldest_first()] == [f"e{n}" for n in range(151, 301)]


def test_a_flood_of_events_is_capped_and_says_so():
    pages = [[{"id": f"e{n}"} for n in range(start, start - 100, -1)] for start in range(5000, 0, -100)]
    read, events = new_events(pages, max_events=250)
    assert read == 3 and events.truncated
    assert [e["id"] for e in events.oldest_first()][-1] == "e5000" and len(events.oldest_first()) == 250


def test_the_2023_api_lists_oldest_first_in_one_page():
    oldest_first = list(reversed(EVENTS_NEWEST_FIRST))
    read, events = new_events([oldest_first, [{"id": "never read"}]], "e1", newest_first=False)
    assert read == 1 and [e["id"] for e in events.oldest_first()] == ["e2", "e3"]


def test_metrics_events_read_as_steps_with_progress_and_losses():
    assert event_line(EVENTS_NEWEST_FIRST[0]) == "step 2/4 (50%): train_loss=0.5"
    assert event_line(EVENTS_NEWEST_FIRST[1]) == "Training started"
    assert event_line({"type": "metrics", "data": {"step": "two", "train_loss": "low"}}) == "metrics"


def test_the_job_line_has_tokens_and_the_estimated_finish():
    line = job_line(FINE_TUNE, {"id": "ftjob-1", "status": "running", "trained_tokens": 300, "estimated_finish": 0})
    assert line == "fine-tuning job ftjob-1 is running, 300 tokens trained"
    assert "estimated finish 1970-01-01 00:01:40 UTC" in job_line(
        FINE_TUNE, {"id": "j", "status": "running", "estimated_finish": 100}
    )
    assert (
        job_line(FINE_TUNE, {"id": "j", "status": "running", "estimated_finish": 1e300})
        == "fine-tuning job j is running"
    )


def test_the_log_reports_each_event_once_and_the_state_when_it_changes():
    lines = Lines()
    progress = ProgressLog(FINE_TUNE, lines)
    job = {"id": "ftjob-1", "status": "running"}
    progress.report(job, new_events([EVENTS_NEWEST_FIRST[1:]])[1])
    progress.report(job, new_events([EVENTS_NEWEST_FIRST], progress.last_event_id)[1])
    assert lines.lines == [
        "[ftjob-1] Job created",
        "[ftjob-1] Training started",
        "fine-tuning job ftjob-1 is running",
        "[ftjob-1] step 2/4 (50%): train_loss=0.5",
    ]
    assert progress.last_event_id == "e3"

"""Creates that cost or clutter are not repeated when an answer is lost."""

from __future__ import annotations

from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook

CONTENT = b'{"custom_id": "1"}\n' * 50


def uploads(emulator):
    return [entry for entry in emulator.requests if entry.method == "POST" and entry.path == "/v1/files"]


def test_an_upload_whose_answer_was_lost_is_adopted_not_sent_again(openai_emulator):
    openai_emulator.add_fault(path="/v1/files", method="POST", lose_answer=True, times=1)
    uploaded = OpenAIAdvHook().upload_file(CONTENT, purpose="batch", filename="requests.jsonl")
    assert list(openai_emulator.state.files) == [uploaded["id"]]  # one file, the one the lost attempt stored
    assert [entry.answer_lost for entry in uploads(openai_emulator)] == [True]
    assert uploaded["filename"] == "requests.jsonl" and uploaded["bytes"] == len(CONTENT)


def test_an_upload_that_never_arrived_is_sent_again(openai_emulator):
    openai_emulator.add_fault(path="/v1/files", method="POST", drop=True, times=1)
    uploaded = OpenAIAdvHook().upload_file(CONTENT, purpose="batch", filename="requests.jsonl")
    assert list(openai_emulator.state.files) == [uploaded["id"]]
    searches = [entry for entry in openai_emulator.requests if entry.method == "GET" and entry.path == "/v1/files"]
    assert searches and searches[0].query["purpose"] == "batch"


def test_an_older_file_with_the_same_name_is_not_mistaken_for_the_lost_one(openai_emulator):
    hook = OpenAIAdvHook()
    older = hook.upload_file(CONTENT, purpose="batch", filename="requests.jsonl")
    openai_emulator.advance_clock(3600)  # yesterday's upload of the same file
    openai_emulator.add_fault(path="/v1/files", method="POST", lose_answer=True, times=1)
    uploaded = hook.upload_file(CONTENT, purpose="batch", filename="requests.jsonl")
    assert uploaded["id"] != older["id"]
    assert len(openai_emulator.state.files) == 2


def test_a_deleted_file_whose_answer_was_lost_counts_as_deleted(openai_emulator):
    hook = OpenAIAdvHook()
    file_id = hook.upload_file(CONTENT, purpose="batch", filename="requests.jsonl")["id"]
    openai_emulator.add_fault(path=f"/v1/files/{file_id}", method="DELETE", lose_answer=True, times=1)
    assert hook.delete_file(file_id)["deleted"] is True
    assert openai_emulator.state.files == {}

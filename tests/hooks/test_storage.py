"""Outputs stay where they belong, whole or not at all; inputs are checked before any request."""

from __future__ import annotations

import os
import time

import pytest

from airflow_provider_openai_adv.exceptions import OpenAIValidationError
from airflow_provider_openai_adv.hooks.storage import (
    STAGING_PREFIX,
    OutputSet,
    check_output_file,
    check_output_folder,
    describe_source,
    join,
    open_source,
    write_bytes,
)


@pytest.mark.parametrize("name", ["..", ".", "", "../escape.png", "a/b.png", "a\\b.png", "/etc/passwd", "x\x00.png"])
def test_a_name_that_would_leave_the_folder_is_refused(tmp_path, name):
    with pytest.raises(OpenAIValidationError, match="^output_path: .* not a plain file name"):
        join(tmp_path, name)


def test_a_plain_name_joins_the_folder(tmp_path):
    assert join(tmp_path, "task-0-1.png") == tmp_path / "task-0-1.png"
    assert join(tmp_path, "..hidden.png") == tmp_path / "..hidden.png"  # dots inside a name are fine


@pytest.mark.parametrize("location", ["", "   ", None])
def test_an_empty_output_path_is_refused(location):
    with pytest.raises(OpenAIValidationError, match="^output_path: must not be empty"):
        check_output_folder(location)
    with pytest.raises(OpenAIValidationError, match="^output_path: must not be empty"):
        check_output_file(location)


def test_a_file_where_a_folder_is_expected_and_the_other_way_round_are_refused(tmp_path):
    existing_file = tmp_path / "report.json"
    existing_file.write_text("{}")
    with pytest.raises(OpenAIValidationError, match="is a file; a folder is expected"):
        check_output_folder(existing_file)
    with pytest.raises(OpenAIValidationError, match="is a file, so nothing can be written under it"):
        check_output_folder(existing_file / "images")
    with pytest.raises(OpenAIValidationError, match="is a folder; a file path is expected"):
        check_output_file(tmp_path)
    check_output_folder(tmp_path / "new" / "folder")  # not there yet: it will be made
    check_output_file(tmp_path / "new" / "file.jsonl")


def test_a_set_of_outputs_appears_whole(tmp_path):
    with OutputSet(tmp_path) as outputs:
        for index in range(3):
            write_bytes(outputs.target(f"image-{index}.png"), b"png")
        assert sorted(path.name for path in tmp_path.iterdir() if not path.name.startswith(".")) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["image-0.png", "image-1.png", "image-2.png"]
    assert outputs.paths == [str(tmp_path / f"image-{index}.png") for index in range(3)]


def test_a_set_of_outputs_that_fails_part_way_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError, match="image 2 failed"), OutputSet(tmp_path) as outputs:
        write_bytes(outputs.target("image-0.png"), b"png")
        write_bytes(outputs.target("image-1.png"), b"png")
        raise RuntimeError("image 2 failed")
    assert list(tmp_path.iterdir()) == []


def test_the_staging_folder_of_a_killed_task_is_swept_by_the_next_one(tmp_path):
    stale = tmp_path / f"{STAGING_PREFIX}0123456789ab"
    stale.mkdir()
    (stale / "image-0.png").write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    with OutputSet(tmp_path) as outputs:
        write_bytes(outputs.target("image-0.png"), b"png")
    assert [path.name for path in tmp_path.iterdir()] == ["image-0.png"]


def test_an_input_that_cannot_be_read_is_refused_naming_the_argument(tmp_path):
    with pytest.raises(OpenAIValidationError, match="^file: .* does not exist or is not a file"):
        describe_source(tmp_path, argument="file")  # a folder
    broken = tmp_path / "link.jsonl"
    broken.symlink_to(tmp_path / "gone.jsonl")
    with pytest.raises(OpenAIValidationError, match="^file: "):
        describe_source(broken, argument="file")
    with pytest.raises(OpenAIValidationError, match="^file: no file given"):
        describe_source("", argument="file")


def test_a_read_error_part_way_is_our_error(tmp_path):
    source = tmp_path / "data.jsonl"
    source.write_bytes(b"{}\n" * 10)
    with pytest.raises(OpenAIValidationError, match="^file: .* cannot be read"), open_source(source, argument="file"):
        raise OSError(5, "Input/output error")

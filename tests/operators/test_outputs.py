"""Files an operator writes appear whole or not at all, and only inside ``output_path``."""

from __future__ import annotations

import pytest

from airflow_provider_openai_adv.operators import OpenAICreateImageOperator, OpenAIRetrieveFileContentOperator
from tests.tasks import run_task


def test_a_result_whose_second_image_fails_leaves_no_first_image(openai_emulator, tmp_path):
    openai_emulator.add_fault(path="/_emulator/images/*", status=404, message="gone", skip=1)
    images = OpenAICreateImageOperator(
        task_id="draw", prompt="two cats", model="dall-e-2", n=2, size="256x256", output_path=str(tmp_path)
    )
    with pytest.raises(Exception, match="gone"):
        run_task(images)
    downloads = [entry.status for entry in openai_emulator.requests if entry.path.startswith("/_emulator/images/")]
    assert downloads == [200, 404]  # image 0 was downloaded...
    assert list(tmp_path.iterdir()) == []  # ...and is not left behind, nor any staging folder


def test_all_images_appear_together(openai_emulator, tmp_path):
    images = OpenAICreateImageOperator(
        task_id="draw", prompt="two cats", model="dall-e-2", n=2, size="256x256", output_path=str(tmp_path)
    )
    result = run_task(images).value
    assert sorted(path.name for path in tmp_path.iterdir()) == ["draw-0.png", "draw-1.png"]
    assert [image["path"] for image in result["data"]] == [str(tmp_path / "draw-0.png"), str(tmp_path / "draw-1.png")]


def test_a_folder_as_the_content_destination_is_refused_before_any_request(openai_emulator, tmp_path):
    from airflow.sdk.exceptions import AirflowFailException

    task = OpenAIRetrieveFileContentOperator(task_id="read", file_id="file-abc", output_path=str(tmp_path))
    with pytest.raises(AirflowFailException, match="^output_path: .* is a folder"):
        run_task(task)
    assert openai_emulator.requests == []

"""A tour of the operators: one or more actions from each family of the API.

models → text (chat, completion, edit) → embeddings → moderation → files (upload, list,
retrieve, read, delete) → images (generate, then a variation of the result) → audio
(transcribe and translate a WAV made by the DAG). Generated files go under
``params.output_dir``; XCom keeps paths and metadata, never image or audio bytes.

Every operator reads the connection ``openai_adv_default``. ``make demo`` style runs
point it at the emulator; with a real key this costs a few cents.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task

from airflow_provider_openai_adv.operators import (
    OpenAICreateChatCompletionOperator,
    OpenAICreateCompletionOperator,
    OpenAICreateEditOperator,
    OpenAICreateEmbeddingsOperator,
    OpenAICreateImageOperator,
    OpenAICreateImageVariationOperator,
    OpenAICreateModerationOperator,
    OpenAICreateTranscriptionOperator,
    OpenAICreateTranslationOperator,
    OpenAIDeleteFileOperator,
    OpenAIGetModelsOperator,
    OpenAIListFilesOperator,
    OpenAIRetrieveFileContentOperator,
    OpenAIRetrieveFileOperator,
    OpenAIUploadFileOperator,
)

OUTPUT = "{{ params.output_dir }}/{{ run_id | replace(':', '_') | replace('+', '_') }}"
UPLOADED_ID = "{{ ti.xcom_pull(task_ids='upload_notes')['id'] }}"


@dag(
    dag_id="openai_adv_actions",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={"output_dir": "/tmp/openai_adv_actions"},
    tags=["openai_adv", "example"],
    doc_md=__doc__,
)
def openai_adv_actions():
    models = OpenAIGetModelsOperator(task_id="list_models")

    chat = OpenAICreateChatCompletionOperator(
        task_id="chat",
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You answer in one short sentence."},
            {"role": "user", "content": "What does Apache Airflow schedule?"},
        ],
        max_completion_tokens=60,
        stream=True,
    )
    complete = OpenAICreateCompletionOperator(
        task_id="complete", model="gpt-3.5-turbo-instruct", prompt="A haiku about data pipelines:", max_tokens=40
    )
    edit = OpenAICreateEditOperator(
        task_id="edit", instruction="Fix the spelling mistakes.", input="Airflow shedules pipelnes."
    )
    embed = OpenAICreateEmbeddingsOperator(
        task_id="embed",
        input="{{ ti.xcom_pull(task_ids='chat')['choices'][0]['message']['content'] }}",
        model="text-embedding-3-small",
        dimensions=64,
    )
    moderate = OpenAICreateModerationOperator(
        task_id="moderate", input=["{{ ti.xcom_pull(task_ids='chat')['choices'][0]['message']['content'] }}"]
    )

    @task
    def write_notes(**context) -> str:
        from pathlib import Path

        folder = Path(context["task"].render_template(OUTPUT, context))
        folder.mkdir(parents=True, exist_ok=True)
        notes = folder / "notes.jsonl"
        notes.write_text('{"note": "files round trip"}\n')
        return str(notes)

    upload = OpenAIUploadFileOperator(
        task_id="upload_notes", file="{{ ti.xcom_pull(task_ids='write_notes') }}", purpose="user_data"
    )
    listed = OpenAIListFilesOperator(task_id="list_files", purpose="user_data")
    describe = OpenAIRetrieveFileOperator(task_id="describe_file", file_id=UPLOADED_ID)
    download = OpenAIRetrieveFileContentOperator(
        task_id="download_file", file_id=UPLOADED_ID, output_path=OUTPUT + "/notes-copy.jsonl"
    )
    delete = OpenAIDeleteFileOperator(task_id="delete_file", file_id=UPLOADED_ID)

    draw = OpenAICreateImageOperator(
        task_id="draw",
        prompt="A friendly robot watering a data garden, flat illustration",
        model="dall-e-2",
        size="256x256",
        response_format="b64_json",
        output_path=OUTPUT,
    )
    vary = OpenAICreateImageVariationOperator(
        task_id="vary",
        image="{{ ti.xcom_pull(task_ids='draw')['data'][0]['path'] }}",
        size="256x256",
        response_format="b64_json",
        output_path=OUTPUT,
    )

    @task
    def record_speech(**context) -> str:
        """One second of a quiet tone as a WAV file: something to transcribe."""
        import math
        import struct
        import wave
        from pathlib import Path

        folder = Path(context["task"].render_template(OUTPUT, context))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "speech.wav"
        with wave.open(str(path), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(16000)
            tone = (int(800 * math.sin(2 * math.pi * 440 * i / 16000)) for i in range(16000))
            audio.writeframes(b"".join(struct.pack("<h", sample) for sample in tone))
        return str(path)

    speech = record_speech()
    transcribe = OpenAICreateTranscriptionOperator(
        task_id="transcribe", file="{{ ti.xcom_pull(task_ids='record_speech') }}", response_format="verbose_json",
        output_path=OUTPUT,
    )  # fmt: skip
    translate = OpenAICreateTranslationOperator(
        task_id="translate", file="{{ ti.xcom_pull(task_ids='record_speech') }}", response_format="text"
    )

    models >> [chat, complete, edit]
    chat >> [embed, moderate]
    write_notes() >> upload >> listed >> describe >> download >> delete
    draw >> vary
    speech >> [transcribe, translate]


openai_adv_actions()

"""``OpenAIAdvHook``: the connection it reads, the API actions it offers, and the legacy hook."""

from __future__ import annotations

import inspect
import json

import pytest

from airflow_provider_openai_adv.exceptions import (
    APITimeoutError,
    InternalServerError,
    OpenAIValidationError,
    PermissionDeniedError,
    TLSVerificationError,
)
from airflow_provider_openai_adv.hooks.legacy import OpenAIAdvLegacyHook
from airflow_provider_openai_adv.hooks.openai_adv import OpenAIAdvHook
from airflow_provider_openai_adv.testing.png import png_size
from tests.fine_tuning import training_jsonl

CONN_ENV = "AIRFLOW_CONN_OPENAI_ADV_DEFAULT"
USER_SAYS_HI = [{"role": "user", "content": "hi there"}]


def set_connection(monkeypatch, conn_id="openai_adv_default", **fields):
    fields.setdefault("conn_type", "openai_adv")
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))


# -- the connection ---------------------------------------------------------------------


def test_extras_become_headers_and_the_airflow_version_joins_the_user_agent(openai_emulator, monkeypatch):
    from airflow import __version__ as airflow_version

    set_connection(
        monkeypatch,
        host=openai_emulator.base_url,
        password=openai_emulator.api_key,
        extra={"organization": "org-abc", "project": "proj_xyz"},
    )
    OpenAIAdvHook().get_models()
    headers = openai_emulator.requests[-1].headers
    assert headers["openai-organization"] == "org-abc"
    assert headers["openai-project"] == "proj_xyz"
    assert f"apache-airflow/{airflow_version}" in headers["user-agent"]


def test_extras_saved_with_the_old_form_prefix_are_read(openai_emulator, monkeypatch):
    set_connection(
        monkeypatch,
        host=openai_emulator.base_url,
        password=openai_emulator.api_key,
        extra={"extra__openai_adv__organization": "org-old-form"},
    )
    OpenAIAdvHook().get_models()
    assert openai_emulator.requests[-1].headers["openai-organization"] == "org-old-form"


@pytest.mark.parametrize("suffix", ["", "/", "/v1/"])
def test_the_host_may_be_given_with_or_without_v1(openai_emulator, monkeypatch, suffix):
    host = openai_emulator.base_url.removesuffix("/v1") + suffix
    set_connection(monkeypatch, host=host, password=openai_emulator.api_key)
    assert OpenAIAdvHook().get_models()
    assert openai_emulator.requests[-1].path == "/v1/models"


def test_the_timeout_comes_from_the_extras(openai_emulator, monkeypatch):
    set_connection(
        monkeypatch,
        host=openai_emulator.base_url,
        password=openai_emulator.api_key,
        extra={"timeout": "0.1", "max_retries": "0"},
    )
    openai_emulator.add_fault(path="/v1/models", latency=0.5)
    hook = OpenAIAdvHook()
    assert (hook.client.config.timeout, hook.client.config.max_retries) == (0.1, 0)
    with pytest.raises(APITimeoutError):
        hook.get_models()


def test_the_retries_come_from_the_extras(openai_emulator, monkeypatch):
    set_connection(monkeypatch, host=openai_emulator.base_url, password=openai_emulator.api_key,
                   extra={"max_retries": "1"})  # fmt: skip
    openai_emulator.add_fault(path="/v1/models", status=503, retry_after_ms=0)
    with pytest.raises(InternalServerError):
        OpenAIAdvHook().get_models()
    assert [entry.status for entry in openai_emulator.requests] == [503, 503]  # one try, one retry


def test_hook_arguments_override_the_extras(openai_emulator, monkeypatch):
    set_connection(monkeypatch, host=openai_emulator.base_url, password="sk-x", extra={"timeout": 30, "max_retries": 5})
    config = OpenAIAdvHook(timeout=7, max_retries=0).client.config
    assert (config.timeout, config.max_retries) == (7, 0)


def test_the_default_base_url_is_openais(monkeypatch):
    set_connection(monkeypatch, password="sk-x")
    assert OpenAIAdvHook().client.config.base_url == "https://api.openai.com/v1"


@pytest.mark.parametrize(
    ("extra", "named"),
    [({"timeout": "soon"}, "'timeout'"), ({"max_retries": "many"}, "'max_retries'"), ({"timeout": -1}, "'timeout'")],
)
def test_bad_extras_are_reported_by_name_with_the_connection_id(monkeypatch, extra, named):
    set_connection(monkeypatch, host="http://127.0.0.1:1/v1", password="sk-secret-value-123", extra=extra)
    with pytest.raises(OpenAIValidationError, match=named) as caught:
        OpenAIAdvHook().client  # noqa: B018
    assert "openai_adv_default" in str(caught.value)
    assert "sk-secret-value-123" not in str(caught.value)


def test_a_connection_without_a_key_is_refused_clearly(monkeypatch):
    set_connection(monkeypatch, host="http://127.0.0.1:1/v1")
    with pytest.raises(OpenAIValidationError, match="no API key"):
        OpenAIAdvHook().client  # noqa: B018


def test_the_space_and_newline_a_paste_leaves_around_the_key_are_stripped(openai_emulator, monkeypatch):
    set_connection(monkeypatch, host=openai_emulator.base_url, password=f"  {openai_emulator.api_key}\n")
    hook = OpenAIAdvHook()
    assert hook.client.config.api_key == openai_emulator.api_key
    assert hook.get_models()


@pytest.mark.parametrize(
    ("password", "what"), [("sk-abc def123456", "a space"), ("sk-abc\u00e9def123456", "not visible ASCII")]
)
def test_a_key_that_cannot_be_a_header_is_refused_without_quoting_it(monkeypatch, password, what):
    set_connection(monkeypatch, host="http://127.0.0.1:1/v1", password=password)
    with pytest.raises(OpenAIValidationError, match=f"^connection 'openai_adv_default': password .*{what}") as caught:
        OpenAIAdvHook().client  # noqa: B018
    assert "def123456" not in str(caught.value)


def test_a_ca_bundle_that_does_not_exist_is_refused_naming_the_connection(monkeypatch, tmp_path):
    missing = str(tmp_path / "no.pem")
    set_connection(monkeypatch, host="https://127.0.0.1:1/v1", password="sk-x", extra={"ca_bundle": missing})
    expected = rf"^connection 'openai_adv_default': ca_bundle: {missing}, given by the ca_bundle extra, does not exist"
    with pytest.raises(OpenAIValidationError, match=expected):
        OpenAIAdvHook().client  # noqa: B018


@pytest.fixture(scope="module")
def https_emulator(tmp_path_factory):
    from airflow_provider_openai_adv.testing import OpenAIEmulator
    from airflow_provider_openai_adv.testing.tls import write_test_certificates

    tls = write_test_certificates(tmp_path_factory.mktemp("tls"))
    with OpenAIEmulator(tls=tls) as emulator:
        yield emulator, tls


def test_the_ca_bundle_extra_is_trusted_and_nothing_else_is(https_emulator, monkeypatch):
    emulator, tls = https_emulator
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(variable, raising=False)
    fields = {"host": emulator.base_url, "password": emulator.api_key}
    set_connection(monkeypatch, **fields, extra={"ca_bundle": str(tls.cafile), "max_retries": 2})
    assert OpenAIAdvHook().get_models()
    set_connection(monkeypatch, **fields, extra={"max_retries": 2})
    emulator.app.journal.clear()
    with pytest.raises(TLSVerificationError):
        OpenAIAdvHook().get_models()
    assert emulator.requests == []  # refused at the handshake, and not retried


def test_test_connection_succeeds_against_a_working_server(openai_emulator):
    ok, message = OpenAIAdvHook().test_connection()
    assert ok and "models available" in message


def test_test_connection_returns_openais_message_on_a_wrong_key(monkeypatch):
    from airflow_provider_openai_adv.testing import OpenAIEmulator

    with OpenAIEmulator(api_key="sk-right-key") as emulator:
        set_connection(
            monkeypatch, host=emulator.base_url, password="sk-wrong-key-abcdef123456", extra={"max_retries": 0}
        )
        ok, message = OpenAIAdvHook().test_connection()
    assert not ok
    assert message.startswith("Incorrect API key provided")
    assert "sk-wrong-key-abcdef123456" not in message and "3456" not in message


def test_test_connection_reports_an_unreachable_server(monkeypatch):
    set_connection(monkeypatch, host="http://127.0.0.1:9/v1", password="sk-x", extra={"max_retries": 0})
    ok, message = OpenAIAdvHook().test_connection()
    assert not ok and "connection failed" in message


def test_the_hook_no_longer_takes_legacy():
    with pytest.raises(TypeError):
        OpenAIAdvHook(legacy=True)
    assert "legacy" not in inspect.signature(OpenAIAdvHook.create_edit).parameters


@pytest.mark.parametrize(
    ("legacy", "extra", "chosen"),
    [
        (True, {}, OpenAIAdvLegacyHook),
        (False, {"legacy_endpoints": True}, OpenAIAdvHook),  # the argument wins
        (None, {"legacy_endpoints": True}, OpenAIAdvLegacyHook),
        (None, {"legacy_endpoints": "yes"}, OpenAIAdvLegacyHook),
        (None, {"legacy_endpoints": "false"}, OpenAIAdvHook),
        (None, {"extra__openai_adv__legacy_endpoints": "true"}, OpenAIAdvLegacyHook),
        (None, {}, OpenAIAdvHook),
    ],
)
def test_for_connection_picks_the_legacy_hook_once(monkeypatch, legacy, extra, chosen):
    set_connection(monkeypatch, "my_openai", host="http://127.0.0.1:1/v1", password="sk-x", extra=extra)
    hook = OpenAIAdvHook.for_connection("my_openai", legacy=legacy, timeout=3)
    assert type(hook) is chosen and hook.legacy is (chosen is OpenAIAdvLegacyHook)
    assert hook.conn_id == "my_openai" and hook.client.config.timeout == 3
    assert hook.fine_tune_kind.name == ("legacy_fine_tune" if hook.legacy else "fine_tune")


def test_the_removed_actions_go_to_their_2023_paths_on_the_legacy_hook(openai_emulator):
    today, legacy = OpenAIAdvHook(), OpenAIAdvHook.for_connection(legacy=True)
    for hook in (today, legacy):
        assert hook.create_edit(instruction="Shout", input="hi")["object"] == "edit"
    assert [engine["id"] for engine in today.list_engines()] == [engine["id"] for engine in legacy.list_engines()]
    assert today.retrieve_engine("gpt-4o-mini")["id"] == legacy.retrieve_engine("gpt-4o-mini")["id"]
    assert [entry.path for entry in openai_emulator.requests] == [
        "/v1/chat/completions", "/v1/edits", "/v1/models", "/v1/engines",
        "/v1/models/gpt-4o-mini", "/v1/engines/gpt-4o-mini",
    ]  # fmt: skip
    with pytest.raises(OpenAIValidationError, match="^metadata: the legacy /fine-tunes endpoint"):
        legacy.list_fine_tunes(metadata={"team": "x"})


def test_a_named_connection_is_used(openai_emulator, monkeypatch):
    set_connection(monkeypatch, "my_openai", host=openai_emulator.base_url, password=openai_emulator.api_key,
                   extra={"project": "proj_named"})  # fmt: skip
    OpenAIAdvHook(conn_id="my_openai").get_models()
    assert openai_emulator.requests[-1].headers["openai-project"] == "proj_named"


# -- the actions ------------------------------------------------------------------------


def test_models_can_be_listed_and_retrieved(openai_emulator):
    hook = OpenAIAdvHook()
    ids = [model["id"] for model in hook.get_models()]
    assert "gpt-4o-mini" in ids
    assert hook.retrieve_model("gpt-4o-mini")["owned_by"] == "system"


def test_only_fine_tuned_models_can_be_deleted(openai_emulator):
    hook = OpenAIAdvHook()
    openai_emulator.state.models["ft:gpt-4o-mini:org::abc"] = {
        "id": "ft:gpt-4o-mini:org::abc", "object": "model", "created": 1, "owned_by": "user"
    }  # fmt: skip
    assert hook.delete_fine_tuned_model("ft:gpt-4o-mini:org::abc") == {
        "id": "ft:gpt-4o-mini:org::abc", "object": "model", "deleted": True
    }  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        hook.delete_fine_tuned_model("gpt-4o-mini")


def test_a_chat_completion_returns_the_api_json(openai_emulator):
    completion = OpenAIAdvHook().create_chat_completion(model="gpt-4o-mini", messages=USER_SAYS_HI, temperature=0.2)
    assert completion["choices"][0]["message"]["content"] == "Emulated reply from gpt-4o-mini: hi there"
    assert completion["usage"]["total_tokens"] > 0
    assert openai_emulator.requests[-1].json() == {"model": "gpt-4o-mini", "messages": USER_SAYS_HI, "temperature": 0.2}


def test_a_streamed_chat_completion_is_assembled_and_its_deltas_seen(openai_emulator):
    deltas = []
    completion = OpenAIAdvHook().create_chat_completion(
        model="gpt-4o-mini", messages=USER_SAYS_HI, stream=True, on_delta=lambda index, text: deltas.append(text)
    )
    assert (
        "".join(deltas) == completion["choices"][0]["message"]["content"] == "Emulated reply from gpt-4o-mini: hi there"
    )
    assert completion["choices"][0]["finish_reason"] == "stop"
    assert completion["usage"]["total_tokens"] > 0  # usage is asked for by default
    sent = openai_emulator.requests[-1].json()
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}


def test_stream_chat_completion_yields_raw_chunks(openai_emulator):
    chunks = list(OpenAIAdvHook().stream_chat_completion(model="gpt-4o-mini", messages=USER_SAYS_HI))
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)


def test_a_generated_image_is_downloaded_without_the_api_key(openai_emulator, tmp_path):
    from airflow.sdk import ObjectStoragePath
    from airflow.sdk.io import attach
    from fsspec.implementations.memory import MemoryFileSystem

    hook = OpenAIAdvHook()
    url = hook.create_image(prompt="A fox", size="256x256")["data"][0]["url"]
    assert hook.download_url(url, tmp_path / "fox.png") == str(tmp_path / "fox.png")
    assert png_size((tmp_path / "fox.png").read_bytes()) == (256, 256)
    assert "authorization" not in openai_emulator.requests[-1].headers
    attach("memory", fs=MemoryFileSystem())
    assert hook.download_url(url, "memory://images/fox.png") == "memory://images/fox.png"
    assert ObjectStoragePath("memory://images/fox.png").read_bytes() == (tmp_path / "fox.png").read_bytes()


def test_embeddings_are_deterministic(openai_emulator):
    hook = OpenAIAdvHook()
    first = hook.create_embeddings(input=["alpha beta", "gamma"], model="text-embedding-3-small", dimensions=64)
    again = hook.create_embeddings(input=["alpha beta", "gamma"], model="text-embedding-3-small", dimensions=64)
    assert [d["embedding"] for d in first["data"]] == [d["embedding"] for d in again["data"]]
    assert len(first["data"][0]["embedding"]) == 64


def test_files_go_up_are_listed_read_and_deleted(openai_emulator, tmp_path):
    hook = OpenAIAdvHook()
    source = tmp_path / "train.jsonl"
    source.write_bytes(training_jsonl())
    uploaded = hook.upload_file(source, purpose="fine-tune")
    assert uploaded["purpose"] == "fine-tune" and uploaded["filename"] == "train.jsonl"
    assert [f["id"] for f in hook.list_files(purpose="fine-tune")] == [uploaded["id"]]
    assert hook.retrieve_file(uploaded["id"])["bytes"] == source.stat().st_size
    assert hook.retrieve_file_content(uploaded["id"]) == source.read_bytes()
    target = tmp_path / "copy" / "train.jsonl"
    assert hook.retrieve_file_content(uploaded["id"], output_path=target) == str(target)
    assert target.read_bytes() == source.read_bytes()
    assert hook.delete_file(uploaded["id"])["deleted"] is True
    assert hook.list_files() == []


def test_uploading_a_missing_file_fails_before_any_request(openai_emulator, tmp_path):
    with pytest.raises(OpenAIValidationError, match="file: .*missing.jsonl does not exist"):
        OpenAIAdvHook().upload_file(tmp_path / "missing.jsonl", purpose="fine-tune")
    assert openai_emulator.requests == []


def test_fine_tune_data_is_checked_before_upload_unless_told_otherwise(openai_emulator):
    bad = b'{"messages": [{"role": "user", "content": "hi"}]}\n' * 12
    with pytest.raises(OpenAIValidationError, match="^file: .*line 1: .*no assistant message"):
        OpenAIAdvHook().upload_file(bad, purpose="fine-tune", filename="bad.jsonl")
    assert openai_emulator.requests == []
    assert OpenAIAdvHook().upload_file(bad, purpose="fine-tune", filename="bad.jsonl", check_data=False)["id"]


def test_list_files_returns_all_pages_or_a_limit(openai_emulator):
    hook = OpenAIAdvHook()
    for index in range(5):
        hook.upload_file(b"{}\n", purpose="batch", filename=f"f{index}.jsonl")
    assert len(hook.list_files()) == 5
    assert len(hook.list_files(limit=3)) == 3


def test_the_last_rate_limit_is_exposed(openai_emulator):
    openai_emulator.set_rate_limit(rpm=100)
    hook = OpenAIAdvHook()
    hook.get_models()
    counted = [entry for entry in openai_emulator.requests if entry.path.startswith("/v1/")]
    assert [entry.path for entry in counted][-1] == "/v1/models"
    assert hook.last_rate_limit.remaining_requests == 100 - len(counted)  # a stray late request counts too

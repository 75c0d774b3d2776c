"""Recorded exchanges replay through the real SDKs; record mode saves new ones without secrets."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from topicgen.config import Settings
from topicgen.errors import AuthError, ConfigError, ReplayMiss
from topicgen.model.clients import ClientOptions, create_client
from topicgen.model.clients.base import ModelRequest, Usage
from topicgen.model.clients.wire import RecordingTransport, load_exchanges
from topicgen.model.generate import generate_page
from topicgen.model.prompt import Prompts
from topicgen.page.schema import page_json_schema
from topicgen.runs.api import build_client

REPO = Path(__file__).resolve().parent.parent
EXCHANGES = REPO / "fixtures" / "exchanges"
TOPIC = "Large Language Models"
SECRET = "sk-proj-FakeSecret0123456789abcdefXYZ"


def recorded(provider: str) -> dict:
    (path,) = (EXCHANGES / provider).glob("*.json")
    return json.loads(path.read_text(encoding="utf-8"))


async def replay(folder: Path, topic: str = TOPIC):
    client = create_client(f"replay:{folder}", ClientOptions())
    try:
        return await generate_page(client, Prompts(), topic)
    finally:
        await client.aclose()


# --- replay --------------------------------------------------------------------------------------


async def test_the_openai_recording_replays_through_the_openai_sdk(llm_page_data):
    result = await replay(EXCHANGES / "openai")
    body = recorded("openai")["response"]["body"]
    assert result.page.model_dump(mode="json") == llm_page_data
    assert result.model == body["model"]
    assert result.usage == Usage(
        body["usage"]["prompt_tokens"],
        body["usage"]["completion_tokens"],
        body["usage"]["prompt_tokens_details"]["cached_tokens"],
    )


async def test_the_anthropic_recording_replays_through_the_anthropic_sdk(llm_page_data):
    result = await replay(EXCHANGES / "anthropic")
    usage = recorded("anthropic")["response"]["body"]["usage"]
    assert result.page.model_dump(mode="json") == llm_page_data
    assert result.model.startswith("claude-")
    assert result.usage == Usage(
        usage["input_tokens"] + usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"],
        usage["output_tokens"],
        usage["cache_read_input_tokens"],
        usage["cache_creation_input_tokens"],
    )


async def test_the_gemini_recording_replays_through_the_google_genai_sdk(llm_page_data):
    result = await replay(EXCHANGES / "gemini")
    usage = recorded("gemini")["response"]["body"]["usageMetadata"]
    assert result.page.model_dump(mode="json") == llm_page_data
    assert result.model == "gemini-3.1-flash-lite-preview"
    assert result.usage == Usage(usage["promptTokenCount"], usage["candidatesTokenCount"])


async def test_a_folder_with_both_providers_prefers_openai():
    result = await replay(EXCHANGES)
    assert result.model == recorded("openai")["response"]["body"]["model"]


def test_the_recorded_requests_are_what_topicgen_sends_today():
    where = {
        "openai": ("response_format", "json_schema", "schema"),
        "anthropic": ("output_config", "format", "schema"),
        "gemini": ("generationConfig", "responseJsonSchema"),
    }
    for provider, path in where.items():
        schema = recorded(provider)["request"]["body"]
        for key in path:
            schema = schema[key]
        assert schema == page_json_schema(), f"re-run fixtures/build_exchanges.py ({provider})"


async def test_a_replay_miss_says_so_and_names_the_topic():
    with pytest.raises(ReplayMiss) as caught:
        await replay(EXCHANGES, topic="Graph Theory")
    message = str(caught.value)
    assert "no recorded exchange" in message
    assert "Graph Theory" in message
    assert "--record" in message


def test_a_missing_replay_folder_says_so(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        create_client(f"replay:{tmp_path / 'nowhere'}", ClientOptions())


def test_an_empty_replay_folder_says_so(tmp_path):
    with pytest.raises(ConfigError, match="holds no recorded exchanges"):
        create_client(f"replay:{tmp_path}", ClientOptions())


async def test_a_recording_of_several_responses_replays_them_in_order(tmp_path, provider, page_json):
    provider.then(provider.openai_reply("not json"), provider.openai_reply(page_json))
    transport = RecordingTransport(tmp_path, provider.transport)
    client = create_client("openai:gpt-test", ClientOptions(transport=transport, api_key="k"))
    live = await generate_page(client, Prompts(), TOPIC)
    await client.aclose()
    assert live.attempts == 2
    again = await replay(tmp_path)
    assert again.attempts == 2
    assert again.page == live.page


# --- record --------------------------------------------------------------------------------------


async def record(tmp_path: Path, provider, spec: str) -> list[Path]:
    folder = tmp_path / "recorded"
    transport = RecordingTransport(folder, provider.transport)
    client = create_client(spec, ClientOptions(transport=transport, api_key=SECRET))
    await generate_page(client, Prompts(), TOPIC)
    await client.aclose()
    return sorted(folder.rglob("*"))


def openai_reply_with_headers(provider, page_json: str):
    """An OpenAI reply that also sends headers no recording may keep."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        assert request.headers["authorization"] == f"Bearer {SECRET}"  # the key did travel
        return httpx2.Response(
            200,
            content=provider.openai_reply(page_json).content,
            headers={
                "content-type": "application/json",
                "x-request-id": "req_1",
                "x-ratelimit-remaining-requests": "99",
                "set-cookie": f"session={SECRET}",
                "openai-organization": "org-private",
            },
        )

    return answer


async def test_record_mode_saves_the_exchange_under_its_provider(tmp_path, provider, page_json):
    provider.then(provider.openai_reply(page_json))
    files = await record(tmp_path, provider, "openai:gpt-test")
    saved = [path for path in files if path.is_file()]
    assert [path.parent.name for path in saved] == ["openai"]
    assert saved[0].name.startswith("write-the-topic-note-for-large-language-models-")
    data = json.loads(saved[0].read_text(encoding="utf-8"))
    assert data["request"]["body"]["model"] == "gpt-test"
    assert data["response"]["status"] == 200


@pytest.mark.parametrize("spec", ["openai:gpt-test", "anthropic:claude-test", "gemini:gemini-test"])
async def test_recordings_hold_no_key_and_no_auth_header(tmp_path, provider, page_json, spec):
    if spec.startswith("openai"):
        provider.then(openai_reply_with_headers(provider, page_json))
    elif spec.startswith("gemini"):
        provider.then(provider.gemini_reply(page_json))
    else:
        provider.then(provider.anthropic_reply(page_json))
    files = [path for path in await record(tmp_path, provider, spec) if path.is_file()]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text
        assert "authorization" not in text.lower()
        assert "x-api-key" not in text.lower()
        assert "x-goog-api-key" not in text.lower()
        assert "bearer" not in text.lower()
        assert "set-cookie" not in text.lower()
        assert "org-private" not in text


async def test_only_allow_listed_response_headers_are_kept(tmp_path, provider, page_json):
    provider.then(openai_reply_with_headers(provider, page_json))
    (saved,) = [path for path in await record(tmp_path, provider, "openai:gpt-test") if path.is_file()]
    headers = json.loads(saved.read_text(encoding="utf-8"))["response"]["headers"]
    assert headers == {
        "content-type": "application/json",
        "x-request-id": "req_1",
        "x-ratelimit-remaining-requests": "99",
    }


async def test_a_key_echoed_in_a_response_body_is_redacted(tmp_path, provider):
    provider.then(provider.openai_error(401, f"Incorrect API key provided: {SECRET}"))
    folder = tmp_path / "recorded"
    client = create_client(
        "openai:gpt-test",
        ClientOptions(transport=RecordingTransport(folder, provider.transport), api_key=SECRET),
    )
    with pytest.raises(AuthError, match="401"):
        await client.complete(ModelRequest(tuple(Prompts().messages(TOPIC)), page_json_schema()))
    await client.aclose()
    (saved,) = folder.rglob("*.json")
    assert SECRET not in saved.read_text(encoding="utf-8")


async def test_a_fresh_recording_replays(tmp_path, provider, page_json, llm_page_data):
    provider.then(provider.anthropic_reply(page_json))
    await record(tmp_path, provider, "anthropic:claude-test")
    result = await replay(tmp_path / "recorded")
    assert result.page.model_dump(mode="json") == llm_page_data
    assert load_exchanges(tmp_path / "recorded")[0].provider == "anthropic"


async def test_the_record_option_wraps_the_configured_clients_transport(
    tmp_path, provider, page_json, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    provider.then(provider.openai_reply(page_json))
    client = build_client(
        Settings(model="openai:gpt-test"), record=tmp_path / "rec", transport=provider.transport
    )
    await generate_page(client, Prompts(), TOPIC)
    await client.aclose()
    (saved,) = (tmp_path / "rec" / "openai").glob("*.json")
    assert SECRET not in saved.read_text(encoding="utf-8")


# --- every provider --record writes renders and replays (issue 21.8) -----------------------------

RECORDED_AS = {  # a model spec → the provider its recordings are filed under
    "openai:fake-model": "openai",
    "anthropic:fake-model": "anthropic",
    "ollama:fake-model": "ollama",
    "openai-compatible:fake-model": "openai",  # OpenAI-compatible servers speak OpenAI's wire
    "gemini:fake-model": "gemini",
}


def test_every_wire_format_topicgen_records_is_tried_below():
    from topicgen.model.clients.wire import WIRE_FORMATS

    assert {found.provider for found in WIRE_FORMATS} == set(RECORDED_AS.values())


def body_of(page: str) -> str:
    return page.split("\n---\n", 1)[1]


@pytest.mark.parametrize("spec", list(RECORDED_AS))
def test_a_recording_of_each_provider_renders_and_replays_as_the_page_it_made(
    cli, empty_vault, tmp_path, spec
):
    folder, ollama = tmp_path / "recorded", {"OLLAMA_BASE_URL": cli.server.ollama_base_url}
    drafted = cli.run(
        "new", "Rust", "--model", spec, "--record", str(folder), "--vault", str(empty_vault), **ollama
    )
    assert drafted.exit_code == 0, drafted.stderr
    written = body_of((empty_vault / "topics" / "rust.md").read_text(encoding="utf-8"))
    (recording,) = (folder / RECORDED_AS[spec]).glob("write-the-topic-note-for-rust-*.json")

    rendered = cli.run("render", str(recording), "--vault", str(empty_vault))
    replayed = cli.run(
        "new", "Rust", "--model", f"replay:{folder}", "--output", "-", "--vault", str(tmp_path)
    )

    assert rendered.exit_code == 0, rendered.stderr
    assert body_of(rendered.stdout).rstrip("\n") == written.rstrip("\n")
    assert replayed.exit_code == 0, replayed.stderr
    assert body_of(replayed.stdout).rstrip("\n") == written.rstrip("\n")


def test_rendering_a_books_re_ask_recording_says_it_is_not_a_whole_page(cli, empty_vault, tmp_path):
    folder = tmp_path / "recorded"
    env = {"TOPICGEN_VERIFY_ENABLED": "true"}
    from topicgen.testing import ReferenceServer

    with ReferenceServer() as catalog:  # knows no book: the books are asked for again, and recorded
        drafted = cli.run(
            "new", "Rust", "--record", str(folder), "--vault", str(empty_vault), **env, **catalog.env()
        )
        assert drafted.exit_code == 0, drafted.stderr
    (reask,) = [path for path in (folder / "openai").glob("*.json") if "write-the-topic" not in path.name]

    rendered = cli.run("render", str(reask), "--vault", str(empty_vault))

    assert rendered.exit_code == 2
    assert "answers a re-ask of books alone, not a whole page" in rendered.stderr

"""Shared fixtures: the repository's fixture vault, the reference page, a clean environment."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run of the suite (seeded by each test's name), so a
# run that passes here passes in CI; `HYPOTHESIS_PROFILE=explore python -m pytest` draws new ones
# each run to look for new failures (add what they find to the tests' fixed examples).
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
EXCHANGES = FIXTURES / "exchanges"
WIRE = FIXTURES / "wire"  # single provider responses as the wire carries them (status, headers, body)
REFERENCE_VAULT = FIXTURES / "vaults" / "reference"
LLM_PAGE_JSON = FIXTURES / "pages" / "large-language-models.json"
HOSTILE = Path(__file__).resolve().parent / "hostile"  # vault content written to attack topicgen (issue 12)
CORPUS = FIXTURES / "corpus"  # copies of ../shared/corpus, so CI needs nothing outside the repo
# The day the suite's model facts are of: the catalogue, the SDK lists under fixtures/sdk/ and the
# genai-prices snapshot under fixtures/prices/. No test reads the calendar or the day's packages.
TODAY = dt.date(2026, 12, 6)
SDK_LISTS = FIXTURES / "sdk"
GENAI_PRICES = FIXTURES / "prices" / "genai-prices-0.2.5.json"


def sdk_list(provider: str, version: str) -> dict[str, dt.date | None]:
    """What an SDK release listed as deprecated (model id → date), read from its fixture copy by
    the same reader topicgen uses on the installed SDK."""
    from topicgen.model.catalogue.sdk_lists import anthropic_deprecation_dates, openai_deprecation_dates

    if provider == "openai":
        return openai_deprecation_dates(
            (SDK_LISTS / f"openai-{version}-chat-model-deprecations.txt").read_text()
        )
    table = json.loads((SDK_LISTS / f"anthropic-{version}-deprecated-models.json").read_text())
    return anthropic_deprecation_dates(table)


@pytest.fixture(autouse=True)
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a real key or a real provider address from the developer's shell."""
    for name in (
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_BASE_URL",
        "OLLAMA_BASE_URL",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "GOOGLE_GEMINI_BASE_URL",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GENAI_USE_ENTERPRISE",
        "GOOGLE_GENAI_API_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in list(__import__("os").environ):
        if name.startswith("TOPICGEN_"):
            monkeypatch.delenv(name, raising=False)
    # Reference checks are off unless a test points them at the stand-in (``references`` fixture).
    monkeypatch.setenv("TOPICGEN_VERIFY_ENABLED", "false")


@pytest.fixture(autouse=True, scope="session")
def shifted_clock():
    """``TOPICGEN_TEST_CLOCK_SHIFT_DAYS=365 python -m pytest`` runs the whole suite with the system
    clock that many days ahead (time-machine moves ``time.time`` and ``datetime.now`` for every
    thread; monotonic timers and file times stay real), to show no test reads the calendar. libfaketime
    cannot do this here: it stalls threads' timed waits (the loopback servers')."""
    days = os.environ.get("TOPICGEN_TEST_CLOCK_SHIFT_DAYS", "").strip()
    if not days:
        yield None
        return
    import time_machine

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=int(days))
    with time_machine.travel(later, tick=True):
        yield later


@pytest.fixture(autouse=True)
def pinned_day(no_provider_keys, monkeypatch: pytest.MonkeyPatch):
    """Every test runs on ``TODAY`` (in this process, and in the commands it starts)."""
    from topicgen import clock

    clock.set_today(TODAY)
    monkeypatch.setenv(clock.TODAY_VARIABLE, TODAY.isoformat())
    yield TODAY
    clock.set_today(None)


@pytest.fixture(autouse=True)
def sdk_lists(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, dt.date | None]]:
    """The SDKs' deprecation lists as openai 3.63.0 and anthropic 2.17.0 shipped them, whatever SDK
    is installed; a test may swap in another release's list (``sdk_list``)."""
    lists = {"openai": sdk_list("openai", "3.63.0"), "anthropic": sdk_list("anthropic", "2.17.0")}
    monkeypatch.setattr(
        "topicgen.model.catalogue.lifecycle.sdk_announcements", lambda provider: lists.get(provider, {})
    )
    return lists


@pytest.fixture(autouse=True)
def fixture_prices(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict]:
    """genai-prices 0.2.5's prices for the catalogued models, whatever genai-prices is installed."""
    from topicgen.model.catalogue import catalogue
    from topicgen.model.costs import Price

    snapshot = json.loads(GENAI_PRICES.read_text(encoding="utf-8"))

    def genai_price(provider: str, model: str, *, batch: bool = False):
        found = catalogue().find(f"{provider}:{model}")
        entry = snapshot.get(found[0] if found else f"{provider}:{model}", {})
        rates = entry.get("batch" if batch else "live")
        return None if rates is None else Price(**rates)

    monkeypatch.setattr("topicgen.model.costs.genai_price", genai_price)
    return snapshot


@pytest.fixture(autouse=True)
def user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's own topicgen files (config.toml, trusted vaults, the cache key, remembered prices) live
    in a fresh folder per test, never in the developer's home: ``user_folders / "config"``, ``/ "data"``
    and ``/ "cache"``."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    return home


def trust_settings(root: Path) -> None:
    """What ``topicgen trust`` does: the user trusts the vault's topicgen.toml as it is now."""
    from topicgen.user.trust import trust

    file = root / "topicgen.toml"
    trust(file, file.read_bytes())


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class NetworkTouched(AssertionError):
    """A test tried to reach a host other than this machine."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite never touches the network: resolving or connecting to any non-loopback host fails."""
    import socket

    resolve, connect = socket.getaddrinfo, socket.socket.connect

    def local_only(host, *args, **kwargs):
        if host is not None and str(host if isinstance(host, str) else host.decode()) not in LOOPBACK:
            raise NetworkTouched(f"a test tried to resolve {host!r}")
        return resolve(host, *args, **kwargs)

    def connect_local(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            raise NetworkTouched(f"a test tried to connect to {address!r}")
        return connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    monkeypatch.setattr(socket.socket, "connect", connect_local)


@pytest.fixture
def llm_page_data() -> dict:
    """The page data of the reference page, as a model returns it."""
    return json.loads(LLM_PAGE_JSON.read_text(encoding="utf-8"))


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A writable copy of the fixture vault (four book notes, site_url set)."""
    target = tmp_path / "vault"
    shutil.copytree(REFERENCE_VAULT, target, ignore=shutil.ignore_patterns(".topicgen"))
    return target


# --- Provider wire fakes (issue 2 tests): real SDK adapters over an httpx2.MockTransport ---------


class ScriptedProvider:
    """A provider that answers from a script, one answer per request, and keeps every request.

    An answer is an ``httpx2.Response``, an exception to raise (``httpx2.ReadTimeout`` ...)
    or a callable taking the request. Build answers with the helpers below, which write
    the providers' own wire formats.
    """

    def __init__(self) -> None:
        self.script: list = []
        self.requests: list = []

    def then(self, *answers) -> ScriptedProvider:
        self.script.extend(answers)
        return self

    def _handle(self, request):
        self.requests.append(request)
        if not self.script:
            raise AssertionError(f"unexpected request #{len(self.requests)}: the script is used up")
        answer = self.script.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer(request) if callable(answer) else answer

    @property
    def transport(self):
        import httpx2

        return httpx2.MockTransport(self._handle)

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(request.content) for request in self.requests]

    def options(self, **extra):
        """ClientOptions that route the real SDK through this script."""
        from topicgen.model.clients import ClientOptions

        return ClientOptions(transport=self.transport, api_key="test-key", **extra)

    @staticmethod
    def recorded(name: str):
        """The response stored in ``fixtures/wire/<name>.json``, served as the provider sent it."""
        from topicgen.model.clients.wire import response_from_record

        record = json.loads((WIRE / f"{name}.json").read_text(encoding="utf-8"))
        return lambda request: response_from_record(record, request)

    @staticmethod
    def openai_reply(
        content: str | None,
        *,
        finish_reason: str = "stop",
        refusal: str | None = None,
        prompt_tokens: int = 1200,
        completion_tokens: int = 800,
        cached_tokens: int = 1024,
        model: str = "gpt-test-2025-01-01",
        headers: dict | None = None,
    ):
        import httpx2

        body = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1764331200,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached_tokens},
            },
        }
        return httpx2.Response(200, json=body, headers=headers or {})

    @staticmethod
    def anthropic_reply(
        text: str | None = None,
        *,
        tool_input: dict | None = None,
        stop_reason: str = "end_turn",
        input_tokens: int = 30,
        cache_creation_input_tokens: int = 0,
        cache_read_input_tokens: int = 1500,
        output_tokens: int = 900,
        model: str = "claude-test-1",
    ):
        import httpx2

        if tool_input is not None:
            content = [{"type": "tool_use", "id": "toolu_1", "name": "write_topic_note", "input": tool_input}]
        else:
            content = [{"type": "text", "text": text or ""}]
        body = {
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "cache_creation_input_tokens": cache_creation_input_tokens,
                "cache_read_input_tokens": cache_read_input_tokens,
                "output_tokens": output_tokens,
            },
        }
        return httpx2.Response(200, json=body)

    @staticmethod
    def gemini_reply(
        text: str | None = None,
        *,
        finish_reason: str | None = "STOP",
        prompt_tokens: int = 1200,
        candidates_tokens: int = 800,
        cached_tokens: int = 0,
        thoughts_tokens: int = 0,
        model: str = "gemini-test-001",
        block_reason: str | None = None,
    ):
        """A ``generateContent`` response as Gemini's REST API sends it (camelCase)."""
        import httpx2

        usage = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": candidates_tokens,
            "totalTokenCount": prompt_tokens + candidates_tokens + thoughts_tokens,
        }
        if cached_tokens:
            usage["cachedContentTokenCount"] = cached_tokens
        if thoughts_tokens:
            usage["thoughtsTokenCount"] = thoughts_tokens
        body: dict = {"usageMetadata": usage, "modelVersion": model, "responseId": "gemini-test"}
        if block_reason is not None:
            body["promptFeedback"] = {"blockReason": block_reason}
        else:
            candidate: dict = {"index": 0}
            if text is not None:
                candidate["content"] = {"parts": [{"text": text}], "role": "model"}
            if finish_reason is not None:
                candidate["finishReason"] = finish_reason
            body["candidates"] = [candidate]
        return httpx2.Response(200, json=body)

    @staticmethod
    def gemini_error(status: int, message: str = "failed", status_name: str = "INVALID_ARGUMENT", details=()):
        """A Google API error object, ``details`` included."""
        import httpx2

        error = {"code": status, "message": message, "status": status_name}
        if details:
            error["details"] = list(details)
        return httpx2.Response(status, json={"error": error})

    @staticmethod
    def openai_error(status: int, message: str = "failed", headers: dict | None = None):
        import httpx2

        body = {"error": {"message": message, "type": "invalid_request_error", "code": None}}
        return httpx2.Response(status, json=body, headers=headers or {})

    @staticmethod
    def anthropic_error(status: int, message: str = "failed", kind: str = "invalid_request_error"):
        import httpx2

        return httpx2.Response(status, json={"type": "error", "error": {"type": kind, "message": message}})


@pytest.fixture
def provider() -> ScriptedProvider:
    """A scripted provider: ``provider.then(provider.openai_reply(page_json))``."""
    return ScriptedProvider()


@pytest.fixture
def page_json(llm_page_data: dict) -> str:
    """The reference page as the JSON text a model replies with."""
    return json.dumps(llm_page_data, ensure_ascii=False)


# --- existing pages: drafting a page into a vault, answering section requests ---


@pytest.fixture
def page_answers(llm_page_data: dict):
    """Build a FunctionClient answering any page or section request from the reference data.

    ``page_answers(joke="...")`` overrides sections; the reply holds exactly the
    keys the request's schema asks for, as a real model's would.
    """
    from topicgen.model.clients.function import FunctionClient

    def make(**overrides):
        data = {**llm_page_data, **overrides}

        def answer(request):
            return json.dumps({key: data[key] for key in request.schema["properties"]}, ensure_ascii=False)

        return FunctionClient(answer)

    return make


FIXED_TIME = "2026-11-01T09:00:00Z"


@pytest.fixture
def draft_into(page_answers):
    """Draft a topic into a vault with the reference data: ``draft_into(vault_path, topic)`` → page path."""
    import asyncio

    from topicgen.config import open_vault
    from topicgen.runs.draft import Drafter
    from topicgen.runs.workshop import Status

    def draft(root: Path, topic: str = "Large Language Models", **overrides) -> Path:
        vault, settings = open_vault(root)
        drafter = Drafter(vault, settings, page_answers(**overrides), clock=lambda: FIXED_TIME)
        outcome = asyncio.run(drafter.draft(topic))
        assert outcome.status is Status.WRITTEN, outcome.detail
        return outcome.path

    return draft


# --- Fake provider server (issue 4): a loopback OpenAI/Anthropic server, and topicgen run against it --

FAKE_API_KEY = "tgtest-KEY-7c4f2a9e1b85d3"  # distinctive and not key-shaped: only redaction by value hides it


@pytest.fixture
def fake_provider():
    """A running ``FakeProvider`` on a free loopback port (no latency, limits or faults), stopped after."""
    from topicgen.testing import FakeProvider

    with FakeProvider() as server:
        yield server


class TopicgenCli:
    """Runs the ``topicgen`` command in-process against the fake provider and checks what it left behind.

    The environment carries the fake API key, the server's base URLs, the model
    (``openai:fake-model`` unless ``provider`` names another: ``anthropic``, ``gemini``) and short
    retry waits.
    A crash (any exception other than a clean exit) fails the test with its traceback.
    """

    def __init__(self, server) -> None:
        self.server = server

    def env(self, provider: str = "openai", **extra: str) -> dict[str, str]:
        env = {
            "OPENAI_API_KEY": FAKE_API_KEY,
            "ANTHROPIC_API_KEY": FAKE_API_KEY,
            "GEMINI_API_KEY": FAKE_API_KEY,
            "OPENAI_BASE_URL": self.server.openai_base_url,
            "ANTHROPIC_BASE_URL": self.server.anthropic_base_url,
            "GOOGLE_GEMINI_BASE_URL": self.server.gemini_base_url,
            "TOPICGEN_MODEL": f"{provider}:fake-model",
            "TOPICGEN_RETRY_WAIT": "0.01",
            "TOPICGEN_RETRY_MAX_WAIT": "0.05",
            "TOPICGEN_TIMEOUT": "10",
            "COLUMNS": "250",
            "NO_COLOR": "1",
        }
        env.update(extra)
        return env

    def run(self, *args: str, provider: str = "openai", **env: str):
        import traceback
        from types import SimpleNamespace

        from typer.testing import CliRunner

        from topicgen.cli import app

        result = CliRunner().invoke(app, list(args), env=self.env(provider, **env))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            trace = "".join(traceback.format_exception(*result.exc_info))
            pytest.fail(f"topicgen {' '.join(args)} crashed:\n{trace}\nstderr:\n{result.stderr}")
        assert "Traceback" not in result.stdout + result.stderr
        return SimpleNamespace(exit_code=result.exit_code, stdout=result.stdout, stderr=result.stderr)

    @staticmethod
    def snapshot(root: Path) -> dict[str, bytes]:
        """Every file under ``root`` (the state folder included) → its bytes."""
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    @staticmethod
    def assert_vault_clean(
        root: Path, before: dict[str, bytes], *outputs: str, changed: tuple[str, ...] = ()
    ):
        """No temporary or partial file; files present before are unchanged unless named in ``changed``;
        the API key appears in no output and no file."""
        after = TopicgenCli.snapshot(root)
        leftovers = [name for name in after if name.endswith((".tmp", ".part")) or "/.tmp" in name]
        assert not leftovers, f"temporary files left behind: {leftovers}"
        for name, data in before.items():
            if name not in changed:
                assert after.get(name) == data, f"{name} was changed or removed"
        key = FAKE_API_KEY.encode()
        assert not [name for name, data in after.items() if key in data], "the API key was written to a file"
        for text in outputs:
            assert FAKE_API_KEY not in text, "the API key was printed"


@pytest.fixture
def empty_vault(tmp_path: Path) -> Path:
    """A vault folder with nothing in it."""
    root = tmp_path / "vault"
    root.mkdir()
    return root


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder beside the vault (outside it) holding someone's unrelated index.md."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "index.md").write_text("someone else's index\n", encoding="utf-8")
    return folder


@pytest.fixture
def cli(topicgen_cli: TopicgenCli) -> TopicgenCli:
    """A shorter name for ``topicgen_cli``."""
    return topicgen_cli


@pytest.fixture
def topicgen_cli(fake_provider) -> TopicgenCli:
    """``topicgen_cli.run("new", "Topic", "--vault", str(path))`` against the ``fake_provider``."""
    return TopicgenCli(fake_provider)


def assert_valid_page(path: Path, topic: str) -> dict:
    """A page topicgen wrote: frontmatter that YAML reads back, the H1 and the 20 outline headings in order.

    Returns the frontmatter."""
    import yaml

    from topicgen.page.outline import OUTLINE

    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == "---", "the page does not start with frontmatter"
    end = lines.index("---", 1)
    meta = yaml.safe_load("\n".join(lines[1:end]))
    assert isinstance(meta, dict)
    title = meta["title"]
    assert title.endswith(" " + topic), f"title {title!r} does not name {topic!r}"
    assert title in meta["aliases"]
    body = [line.rstrip() for line in lines[end + 1 :]]
    assert f"# {title}" in body
    assert "---" not in body, "a frontmatter fence inside the body"
    headings = [line for line in body if line.startswith("#")]
    expected = ["# " + title, "## 🤖 AI Summary"] + [f"### {section.heading}" for section in OUTLINE]
    assert headings == expected, "the page's headings are not the outline's"
    return meta


# --- Existing pages (issue 3): the corpus and hand-made variants, one per defect or shape ---

VARIANTS = FIXTURES / "variants"
REFERENCE_PAGE = CORPUS / "vault" / "topics" / "large-language-models.md"
# Each of these variants holds the reference page's content in another era's shape.
RESHAPED_VARIANTS = [  # the reference page in another era's shape, and nothing else changed
    "star-and-indented-bullets",
    "h4-headings",
    "bold-pseudo-headings",
    "per-bullet-emoji",
    "bold-label-prefixes",
    "leaked-prompt-wording",
    "shortened-headings",
    "repeated-summary-heading",
    "chatty-preamble",
    "paragraph-sections",
    "duplicated-heading",
    "out-of-order",
    "extra-jokes",
]
SAME_CONTENT_VARIANTS = [*RESHAPED_VARIANTS, "broken-links", "own-keys-and-notes"]


@pytest.fixture
def variant():
    """``variant("missing-sections")`` → the text of fixtures/variants/missing-sections.md."""

    def read(name: str) -> str:
        return (VARIANTS / f"{name}.md").read_text(encoding="utf-8")

    return read


@pytest.fixture
def topics_page(vault: Path):
    """``topics_page(text, "name")`` → a page written into the fixture vault's topics/ folder."""

    def write(text: str, name: str = "large-language-models") -> Path:
        path = vault / "topics" / f"{name}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


# --- Reference checks (issue 11): the stand-in book catalog and YouTube ---


@pytest.fixture
def references(monkeypatch: pytest.MonkeyPatch):
    """A running ``ReferenceServer``; reference checks are on and point at it (environment)."""
    from topicgen.testing import ReferenceServer

    with ReferenceServer() as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("TOPICGEN_VERIFY_ENABLED", "true")
        monkeypatch.setenv("TOPICGEN_VERIFY_RETRIES", "1")
        monkeypatch.setenv("TOPICGEN_VERIFY_TIMEOUT", "5")
        yield server


def closed_port_url() -> str:
    """An address on this machine where nothing listens: connections are refused at once."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- Hostile vaults (issue 12): what a renderer makes of a page ---


def page_structure(text: str):
    """What a CommonMark renderer makes of a page: frontmatter keys, headings, link targets, raw HTML
    and images. Two pages with equal structure differ only in their text."""
    from types import SimpleNamespace

    import yaml
    from markdown_it import MarkdownIt

    lines = text.split("\n")
    end = lines.index("---", 1)
    meta = yaml.safe_load("\n".join(lines[1:end]))
    parser = MarkdownIt("commonmark")
    parser.validateLink = lambda url: True  # see every link a renderer could make, script ones included
    tokens = parser.parse("\n".join(lines[end + 1 :]))
    flat = tokens + [child for token in tokens for child in token.children or []]
    return SimpleNamespace(
        keys=list(meta),
        headings=[
            (token.tag, tokens[i + 1].content)
            for i, token in enumerate(tokens)
            if token.type == "heading_open"
        ],
        links=[token.attrs["href"] for token in flat if token.type == "link_open"],
        html=[token.content for token in flat if token.type in ("html_inline", "html_block")],
        images=[token.attrs.get("src") for token in flat if token.type == "image"],
        fences=sum(1 for token in tokens if token.type == "hr"),
    )


# --- Real pages (issue 8): the shared corpus's real pages and hand-made pages in other real shapes ---

REAL = CORPUS / "real"  # copies of ../shared/corpus/real (stored without their emoji joiners)
SHAPES = FIXTURES / "shapes"


def page_words(text: str) -> list[str]:
    """Text as the words a reader reads: case, emoji, markup and punctuation aside."""
    import re

    return re.findall(r"[^\W_]+", text.replace("\u200d", "").casefold())


def sentences_lost(original: str, adopted: str) -> list[str]:
    """Every sentence of the original page's summary that the adopted page no longer holds.

    A sentence counts as kept when its words stand, in order and together,
    in the adopted page: a label that opens an item ("Common:", "**Topical:**")
    and "edited by" included, as the page wrote them (issue 21). Headings are
    structure, not sentences.
    """
    import re

    from topicgen.read.blocks import HEADING, pseudo_heading
    from topicgen.read.recognise import split_sentences

    link = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")  # a link reads as its text (and its web address)

    def shown(match: re.Match[str]) -> str:
        return f"{match.group(1)} {match.group(2)}" if "://" in match.group(2) else match.group(1)

    kept = " " + " ".join(page_words(link.sub(shown, adopted))) + " "
    lost = []
    body = original.split("\n---\n", 1)[-1]
    for line in body.split("\n"):
        if HEADING.match(line) or not line.strip() or line.startswith("[Home]"):
            continue
        if line.startswith("<") or line.startswith("&mdash;"):
            continue  # embedded HTML after the summary: kept verbatim, not prose
        bold = pseudo_heading(line)
        text = bold.content if bold is not None and not bold.content.startswith(("*", "_")) else line
        text = link.sub(shown, text)
        text = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text)
        for sentence in split_sentences(text):
            words = page_words(sentence)
            if words and f" {' '.join(words)} " not in kept:
                lost.append(sentence)
    return lost


def smoke_benchmark(script: str, output: Path, *args: str, timeout: float = 300) -> tuple[str, dict]:
    """``bench/<script> --smoke ... --output OUTPUT`` in a fresh process: (what it printed, the JSON it
    wrote). A run that fails fails the test with its output."""
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--smoke", *args, "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, json.loads(output.read_text(encoding="utf-8"))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The pages scans read through the scan cache's reader (``vault.stat_cache``), in order."""
    from topicgen.vault import stat_cache

    seen: list[Path] = []
    real = stat_cache.read_regular

    def spy(path: Path, **kwargs):
        if path.suffix == ".md":
            seen.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(stat_cache, "read_regular", spy)
    return seen

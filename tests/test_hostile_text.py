"""What model text can make a page do (issue 20: items 2, 10, 11 and 12).

A CommonMark parser decides what a field and the line it is written on
carry; anything but text, emphasis, code and https links is refused, and only
the section holding it is asked again. Templater commands, Dataview queries,
Obsidian comments, keys topicgen read and YouTube addresses built from the
model's string never reach a page; what real models write (math, emoji, bold
labels, code) does, as written. The hostile inputs are in tests/hostile/text/.
"""

from __future__ import annotations

import base64
import functools
import json
import shutil
from pathlib import Path

import pytest
from conftest import FAKE_API_KEY, HOSTILE, LLM_PAGE_JSON, TopicgenCli, assert_valid_page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pydantic import ValidationError

from topicgen.model import redact
from topicgen.page.drift import normalise
from topicgen.page.markup import BIDI_CONTROLS
from topicgen.page.outline import OUTLINE
from topicgen.page.render import PageContext, render_page, section_lines
from topicgen.page.schema import SHARED_LINE_KINDS, TopicSummary
from topicgen.page.text_rules import check_youtube_url
from topicgen.testing import Reply
from topicgen.testing.fake_provider.pages import set_path
from topicgen.vault.frontmatter import split_page
from topicgen.vault.notes import Note, NoteIndex

TOPIC = "Graph Theory"
MODEL_TEXT = json.loads((HOSTILE / "text" / "model-text.json").read_text(encoding="utf-8"))
REFUSED, ACCEPTED, BIDI = MODEL_TEXT["refused"], MODEL_TEXT["accepted"], MODEL_TEXT["bidi"]


def page_path(vault: Path) -> Path:
    return vault / "topics" / "graph-theory.md"


def asked_sections(request) -> set[str]:
    """The sections a request to the fake provider asked for (OpenAI's wire format)."""
    return set(request.body["response_format"]["json_schema"]["schema"]["properties"])


def renderer_view(body: str) -> tuple[list, list[str], list[str]]:
    """What a CommonMark renderer makes of a page body: its tokens (inline ones included), the link
    destinations, and the code spans' contents. Every link shows, script links included."""
    parser = MarkdownIt("commonmark")
    parser.validateLink = lambda url: True
    tokens = parser.parse(body)
    flat = tokens + [child for token in tokens for child in token.children or []]
    links = [token.attrs["href"] for token in flat if token.type == "link_open"]
    code = [token.content for token in flat if token.type == "code_inline"]
    return flat, links, code


OWN_LINKS = ("../index.md", "./index.md", "../books/", "./")  # topicgen's breadcrumb and note links


def assert_nothing_live(page: str) -> None:
    """A page a renderer, a browser or Obsidian shows as text: no HTML, no image, no link but https and
    topicgen's own, nothing Templater, Dataview or an Obsidian comment acts on, no bidi control."""
    _, body = split_page(page)
    tokens, links, code = renderer_view(body)
    assert not [t.content for t in tokens if t.type in ("html_inline", "html_block")]
    assert not [t for t in tokens if t.type == "image"]
    assert all(link.lower().startswith("https://") or link.startswith(OWN_LINKS) for link in links), links
    assert not [span for span in code if span.lstrip().startswith(("=", "$="))]
    assert "<%" not in body and "%%" not in body
    assert not BIDI_CONTROLS.search(page)


# --- refused: re-asked, section by section (items 2, 11, 12) ---------------------------------------


@pytest.mark.parametrize("attack", REFUSED)
def test_model_text_that_a_renderer_or_obsidian_would_act_on_is_refused_and_its_section_re_asked(
    cli: TopicgenCli, empty_vault: Path, attack: str
) -> None:
    case = REFUSED[attack]
    cli.server.script(Reply(patch=case["patch"]))

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    poisoned, reask = cli.server.requests
    assert (poisoned.outcome, reask.outcome) == ("scripted", "ok")
    assert asked_sections(reask) == {path.split(".")[0] for path in case["patch"]}  # only its section
    assert case["reason"] in str(reask.body["messages"][-1]["content"])
    page = page_path(empty_vault).read_text(encoding="utf-8")
    assert_valid_page(page_path(empty_vault), TOPIC)
    assert not [value for value in case["patch"].values() if value in page]
    assert_nothing_live(page)


def test_a_reply_that_keeps_the_broken_section_fails_the_topic_and_writes_nothing(
    cli: TopicgenCli, empty_vault: Path
) -> None:
    joke = REFUSED["backslash-escaped backtick before an img tag (20.2)"]["patch"]
    cli.server.script(*[Reply(patch=joke)] * 3)

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 1
    (row,) = [line for line in result.stderr.splitlines() if TOPIC in line]
    assert "failed" in row and "joke" in row
    assert not page_path(empty_vault).exists()


def recorded_exchange(cli: TopicgenCli, vault: Path, folder: Path) -> Path:
    """One exchange recorded from the fake provider with ``new --record``."""
    result = cli.run("new", TOPIC, "--record", str(folder), "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    (exchange,) = [path for path in folder.rglob("*.json") if path.is_file()]
    return exchange


def edit_reply(exchange: Path, **fields: str) -> None:
    """Change fields of the page inside a recorded OpenAI exchange, as someone editing the file would."""
    recording = json.loads(exchange.read_text(encoding="utf-8"))
    message = recording["response"]["body"]["choices"][0]["message"]
    page = json.loads(message["content"])
    page.update(fields)
    message["content"] = json.dumps(page, ensure_ascii=False)
    exchange.write_text(json.dumps(recording, ensure_ascii=False), encoding="utf-8")


def test_an_edited_replay_file_cannot_put_live_html_on_a_page(
    cli: TopicgenCli, empty_vault: Path, tmp_path: Path
) -> None:
    exchange = recorded_exchange(cli, empty_vault, tmp_path / "recorded")
    edit_reply(exchange, **REFUSED["backslash-escaped backtick before an img tag (20.2)"]["patch"])
    page_path(empty_vault).unlink()

    replayed = cli.run(
        "new", TOPIC, "--model", f"replay:{tmp_path / 'recorded'}", "--vault", str(empty_vault)
    )
    rendered = cli.run("render", str(exchange), "--vault", str(empty_vault))

    assert replayed.exit_code == 1  # refused; the re-ask has no recording to answer it
    assert not page_path(empty_vault).exists()
    assert rendered.exit_code == 2 and rendered.stdout == ""
    (line,) = rendered.stderr.strip().splitlines()
    assert "joke" in line and "HTML" in line


def test_a_book_note_title_ending_in_a_backtick_cannot_pair_with_the_authors_code_span(
    cli: TopicgenCli, empty_vault: Path
) -> None:
    (empty_vault / "books").mkdir()
    shutil.copy(
        HOSTILE / "notes" / "books" / "backtick-title.md", empty_vault / "books" / "backtick-title.md"
    )
    cli.server.script(Reply(patch={"books.topical.title": "Graph Drawing", "books.topical.authors": "`<b>`"}))

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    assert [r.outcome for r in cli.server.requests] == ["scripted"]  # the reply itself is fine
    page = page_path(empty_vault).read_text(encoding="utf-8")
    assert "[Graph Drawing](../books/backtick-title.md) by `<b>`" in page  # the name asked, not the title
    assert_nothing_live(page)


def test_only_the_kinds_checked_line_by_line_write_several_fields_on_one_line() -> None:
    data = json.loads(json.dumps(_page_data()))
    fields = [field for field in FIELDS if field != "title_emoji"]
    for number, field in enumerate(fields):
        set_path(data, field, f"⟦{number}⟧")

    shared = {
        section.key
        for section in OUTLINE
        for line in section_lines(section.key, data[section.key])
        if line.count("⟦") > 1
    }

    assert shared == {section.key for section in OUTLINE if section.kind in SHARED_LINE_KINDS}


# --- accepted: what real models write ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ACCEPTED)
def test_what_real_models_write_is_accepted_as_written_without_a_re_ask(
    cli: TopicgenCli, empty_vault: Path, kind: str
) -> None:
    case = ACCEPTED[kind]
    cli.server.script(Reply(patch={case["field"]: case["value"]}))

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    assert [r.outcome for r in cli.server.requests] == ["scripted"]
    page = page_path(empty_vault).read_text(encoding="utf-8")
    assert case.get("written", case["value"]) in page
    assert_nothing_live(page)


def test_bidi_controls_are_kept_out_of_the_page_without_a_re_ask(cli: TopicgenCli, empty_vault: Path) -> None:
    cli.server.script(Reply(patch={BIDI["field"]: BIDI["value"]}))

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    assert [r.outcome for r in cli.server.requests] == ["scripted"]
    page = page_path(empty_vault).read_text(encoding="utf-8")
    assert BIDI["written"] in page and not BIDI_CONTROLS.search(page)


# --- keys the model echoes (item 10) ----------------------------------------------------------------

ECHOES = {
    "as read": lambda key: f"The secret is {key}",
    "upper case": lambda key: f"SHOUTED: {key.upper()}",
    "base64 in a header": lambda key: "Basic " + base64.b64encode(f"user:{key}".encode()).decode(),
    "url-safe base64": lambda key: base64.urlsafe_b64encode(f"xy{key}z".encode()).decode(),
}


@pytest.mark.parametrize("form", ECHOES)
@pytest.mark.parametrize("field", ["joke", "books.topical.authors", "videos.0.description"])
def test_a_key_the_model_echoes_is_refused_in_any_field_and_form(
    cli: TopicgenCli, empty_vault: Path, form: str, field: str
) -> None:
    cli.server.script(Reply(patch={field: ECHOES[form](FAKE_API_KEY)}))
    before = cli.snapshot(empty_vault)

    result = cli.run("new", TOPIC, "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    _, reask = cli.server.requests
    assert asked_sections(reask) == {field.split(".")[0]}
    reason = str(reask.body["messages"][-1]["content"])
    assert f"{field}: must not repeat an API key" in reason and FAKE_API_KEY not in reason
    cli.assert_vault_clean(empty_vault, before, result.stdout, result.stderr)
    page = page_path(empty_vault).read_text(encoding="utf-8")
    assert ECHOES[form](FAKE_API_KEY) not in page


def test_a_short_placeholder_key_is_a_word_a_page_may_hold(
    cli: TopicgenCli, empty_vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # local servers take placeholders ("ollama", "EMPTY"); a page about Ollama must still be written
    monkeypatch.setattr(redact, "_read_keys", set())  # the keys this run reads, forgotten after it
    cli.server.script(Reply(patch={"examples.0": "Run models locally with ollama"}))

    result = cli.run("new", TOPIC, "--vault", str(empty_vault), OPENAI_API_KEY="ollama")

    assert result.exit_code == 0, result.stderr
    assert [r.outcome for r in cli.server.requests] == ["scripted"]


# --- YouTube addresses, built from their parts (item 11) -------------------------------------------


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("https://youtu.be/wjZofJX0v4M?si=Ab-1&feature=share#t=3", "https://youtu.be/wjZofJX0v4M?si=Ab-1"),
        (
            "http://www.youtube.com/watch?feature=x&v=wjZofJX0v4M&t=42s",
            "https://www.youtube.com/watch?v=wjZofJX0v4M&t=42s",
        ),
        ("https://WWW.YouTube.com/%40veritasium/videos", "https://www.youtube.com/@veritasium"),
        (
            "https://www.youtube.com/playlist?list=PLrAXtmErZgOe&pp=x%7B%7By",
            "https://www.youtube.com/playlist?list=PLrAXtmErZgOe",
        ),
        (
            "https://m.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw",
            "https://m.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw",
        ),
        (
            "https://www.youtube.com/results?search_query=euler+bridges",
            "https://www.youtube.com/results?search_query=euler+bridges",
        ),
    ],
)
def test_a_youtube_address_is_rebuilt_from_its_parts_never_copied(given: str, written: str) -> None:
    assert check_youtube_url(given) == written


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=wjZofJX0v4",  # ten characters, not eleven
        "https://www.youtube.com/watch?v=wjZofJX0v4M%22",
        "https://www.youtube.com/@x",  # a handle is three characters or more
        "https://www.youtube.com/@name%25%25",
        "https://www.youtube.com/channel/not-a-channel-id",
        "https://youtu.be/wjZofJX0v4M/extra",
        "https://www.youtube.com/redirect?q=https://evil.example",
    ],
)
def test_a_youtube_address_whose_parts_break_their_patterns_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="YouTube"):
        check_youtube_url(url)


# --- the property: whatever a model returns for whatever field ---------------------------------------

# What a model could put in a field: text rich in what CommonMark, HTML, Obsidian and its plugins act on.
HOSTILE_PIECES = [
    *"<>[]()!{}%#&;:/\\`*_|-=$@~\"' aZ9.",
    "`",
    "``",
    "\\`",
    "<img src=x onerror=alert(1)>",
    "<script>",
    "</a>",
    "<!--",
    "<%",
    "<%*",
    "%>",
    "%%",
    "`$=",
    "`=",
    "$=",
    "javascript:",
    "java&#9;script:",
    "&#106;",
    "&lt;",
    "https://x.y",
    "http://x.y",
    "www.x.y",
    "a@b.c",
    "](",
    "![",
    "[[",
    "{{",
    "{%",
    "\\href{",
    "\u202e",
    "\u2066",
    "\u200d",
    "🧙‍♂️",
]
# Backticks and tags weigh more: their pairing across fields is the attack no single field shows.
ANY_TEXT = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE_PIECES), st.sampled_from(["`", "``", "<b>", "<img src=x onerror=alert(1)>"])
    ),
    min_size=1,
    max_size=12,
).map("".join)


def _text_fields(value, path: tuple[str, ...] = ()) -> list[str]:
    if isinstance(value, str):
        return [".".join(path)]
    items = value.items() if isinstance(value, dict) else enumerate(value)
    return [field for key, item in items for field in _text_fields(item, (*path, str(key)))]


@functools.cache
def _page_data() -> dict:
    return json.loads(LLM_PAGE_JSON.read_text(encoding="utf-8"))


FIELDS = _text_fields(_page_data())
SHARED_LINE_FIELDS = [field for field in FIELDS if field.startswith(("books.", "videos."))]


# A field may end in an unpaired backtick or open a code span: the attack is its pairing with the next.
FIELD_TEXT = st.one_of(
    ANY_TEXT, ANY_TEXT.map(lambda text: text + "`"), ANY_TEXT.map(lambda text: f"`{text}`")
)


@st.composite
def one_line(draw) -> dict[str, str]:
    """Text for a field, or for every field written on one line with it (a book's title, authors and
    note; a video's name, address and description)."""
    field = draw(st.one_of(st.sampled_from(FIELDS), st.sampled_from(SHARED_LINE_FIELDS)))
    parent = field.rpartition(".")[0]
    line = [other for other in FIELDS if other.rpartition(".")[0] == parent] if parent else [field]
    return {name: draw(FIELD_TEXT) for name in line}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=one_line(), note_title=ANY_TEXT)
def test_no_model_text_in_any_field_puts_html_a_script_link_or_obsidian_code_on_a_page(
    texts: dict[str, str], note_title: str
) -> None:
    data = json.loads(json.dumps(_page_data()))
    for field, text in texts.items():
        set_path(data, field, text)
    try:
        page = TopicSummary.model_validate(normalise(data)[0])
    except ValidationError:
        return  # refused: that section is asked again
    title = data["books"]["topical"]["title"]
    books = NoteIndex([Note("hostile", note_title, (title,))])  # a vault note the book links to
    topics = NoteIndex([Note("hostile-topic", note_title, (data["topics"]["parent"],))])

    written = render_page(page, PageContext(TOPIC, "graph-theory", books, topics))

    assert_nothing_live(written)

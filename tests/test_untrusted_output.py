"""Model output is untrusted: nothing a reply smuggles into a field can break the page or its frontmatter.

The fake provider is scripted to send a poisoned reply first and an honest one
after. A poisoned field is either rejected, so the model is re-asked with the
field and the reason and the page is written from the honest reply, or
neutralised, so it appears on the page literally, as text. Either way the page
keeps its exact shape: frontmatter that YAML reads back, the title, and the
outline's headings in order, with nothing else.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from conftest import LLM_PAGE_JSON, TopicgenCli, assert_valid_page, page_structure
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from topicgen.page.render import PageContext, render_page
from topicgen.page.schema import TopicSummary
from topicgen.page.text_rules import check_line
from topicgen.testing import Reply

TOPIC = "Graph Theory"
SMUGGLED = {
    # raw HTML and scripts
    "script tag": ("what_is_it.0", "Graphs are neat <script>alert(document.cookie)</script>"),
    "event handler": ("overview.for_a_child", 'Picture dots <img src=x onerror="alert(1)"> joined by lines'),
    "iframe": ("joke", 'Why did the graph cross the road <iframe src="https://evil.example"></iframe>'),
    "html javascript link": ("qualities.1", 'Sparse: see <a href="javascript:alert(1)">this</a>'),
    "book note html": ("books.topical.note", "<svg onload=alert(1)>"),
    # script links
    "markdown javascript link": ("capabilities.0", "Routing: [click here](javascript:alert(1))"),
    "entity-encoded javascript link": ("capabilities.1", "Search: [click](&#106;avascript:alert(1))"),
    "data url link": ("history.0", "Euler, 1736: [paper](data:text/html;base64,PHNjcmlwdD4=)"),
    "autolink to javascript": ("deep_dive.0", "Adjacency: <javascript:alert(1)>"),
    "video url not youtube": ("videos.0.url", "javascript:alert(1)"),
    "video url breaking out of the link": (
        "videos.0.url",
        "https://www.youtube.com/watch?v=x) [evil](https://x.y",
    ),
    "link text closing the link": ("videos.0.name", "Graphs](javascript:alert(1)) [more"),
    "book title closing the link": ("books.rigorous.title", "Graph Theory] (evil) [x"),
    # Markdown structure
    "heading": ("what_is_it.1", "## Injected Section"),
    "outline heading": ("joke", "### 😂 A Joke: Tell A Witty One Liner"),
    "line break then heading": ("examples.0", "Maps\n### 🔓 Injected"),
    "unicode line separator": ("examples.1", "Maps\u2028### Injected"),
    "list item": ("comparisons.0", "- a bullet of its own"),
    "quote block": ("surprising_perspective.0", "> a quoted block"),
    # frontmatter
    "frontmatter fence": ("performance.0", "---"),
    "frontmatter block": ("problems.abstract", "x\n---\ntitle: Hijacked\n---"),
    "yaml in the title emoji": ("title_emoji", "🤖\ntitle: Hijacked"),
    "words in the title emoji": ("title_emoji", "🤖 Hijacked: true"),
    "frontmatter fence in the title emoji": ("title_emoji", "---"),
    # echoed instructions
    "echoed instructions": ("well_suited.0", "As an AI language model, I think graphs are useful"),
    # issue 12.3: what a deny-list missed
    "tab inside the scheme of an html link": (
        "qualities.2",
        'See <a href="java&#9;script:alert(1)">this</a>',
    ),
    "tab inside the scheme of a markdown link": (
        "capabilities.2",
        "Search: [click](java&#9;script:alert(1))",
    ),
    "styled div covering the page": ("history.1", '<div style="position:fixed;top:0;left:0">Login</div>'),
    "remote tracking image": ("examples.2", "Maps ![](https://tracker.example/pixel.gif?u=1)"),
    "embed of a private note": ("deep_dive.1", "See ![[private/diary]] for more"),
    "wikilink to a private note": ("deep_dive.2", "See [[private/diary]] for more"),
    "html comment": ("performance.1", "Fast <!-- topicgen:index:end --> enough"),
    "link to a relative vault path": ("comparisons.1", "Trees: [see](../../private/diary.md)"),
    "link to plain http": ("comparisons.2", "Trees: [see](http://insecure.example)"),
    "bare ftp address": ("problems.concrete", "Download it from ftp://files.example/graph.zip"),
    "reference link definition": ("surprising_perspective.1", "[x]: javascript:alert(1)"),
    # template syntax: static-site builders (Jekyll's Liquid, Nunjucks, Hugo) run it when publishing
    "jinja expression": ("joke", "My favourite graph is {{ 7 * 7 }} nodes wide"),
    "jinja statement": ("what_is_it.0", "Graphs {% for x in range(3) %}loop{% endfor %} forever"),
    "jinja comment": ("history.0", "Euler {# hidden #} walked the bridges"),
    "template in a book title": ("books.topical.title", "Introduction to {{ page }}"),
    "template in a video name": ("videos.0.name", "{{ config.items() }} explained"),
    "template in a recommended book": ("books.fictional.title", "{% include 'secret' %}"),
}


@pytest.fixture
def vault(empty_vault: Path) -> Path:
    return empty_vault


def page_text(vault: Path) -> str:
    return (vault / "topics" / "graph-theory.md").read_text(encoding="utf-8")


def page_body(vault: Path) -> str:
    """The page below its frontmatter."""
    return page_text(vault).split("\n---\n", 1)[1]


@pytest.mark.parametrize(("field", "value"), SMUGGLED.values(), ids=SMUGGLED.keys())
def test_a_smuggled_field_is_rejected_and_re_asked(
    cli: TopicgenCli, vault: Path, field: str, value: str
) -> None:
    cli.server.script(Reply(patch={field: value}))

    result = cli.run("new", TOPIC, "--vault", str(vault))

    assert result.exit_code == 0, result.stderr
    poisoned, honest = cli.server.requests
    assert (poisoned.outcome, honest.outcome) == ("scripted", "ok")
    reask = str(honest.body["messages"][-1]["content"])
    assert field in reask, f"the re-ask does not name {field}:\n{reask}"
    assert_valid_page(vault / "topics" / "graph-theory.md", TOPIC)
    assert value not in page_body(vault)
    assert "Hijacked" not in page_text(vault)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_poisoned_reply_is_never_written_even_when_re_asks_run_out(
    cli: TopicgenCli, vault: Path, provider: str
) -> None:
    cli.server.script(Reply(patch={"what_is_it.0": "<script>alert(1)</script>"}))

    result = cli.run("new", TOPIC, "--vault", str(vault), provider=provider, TOPICGEN_REASKS="0")

    assert result.exit_code == 1
    (row,) = [line for line in result.stderr.splitlines() if TOPIC in line]
    assert "failed" in row and "what_is_it.0" in row and "HTML" in row
    assert not (vault / "topics" / "graph-theory.md").exists()


def test_an_extra_field_aimed_at_the_frontmatter_is_ignored(cli: TopicgenCli, vault: Path) -> None:
    # a field the schema does not have is never rendered: ignored and noted, not worth a call (issue 8)
    cli.server.script(Reply(patch={"title": "Hijacked", "share": False}))

    result = cli.run("new", TOPIC, "--vault", str(vault))

    assert result.exit_code == 0, result.stderr
    assert [r.outcome for r in cli.server.requests] == ["scripted"]
    assert "unknown-field" in result.stderr
    meta = assert_valid_page(vault / "topics" / "graph-theory.md", TOPIC)
    assert meta["share"] is True and "Hijacked" not in meta["title"]


# --- neutralised: shown literally ----------------------------------------------------------------

LITERAL = {
    "braces that are not a template": ("joke", "My favourite set is { 7 } and {x} wide"),
    "html inside a code span": ("deep_dive.0", "Write `vector<int>` for a list of ints"),
    "an https link": ("history.0", "Euler, 1736: [the paper](https://example.org/euler)"),
    "prose with a colon after data": ("capabilities.0", "Training data: billions of edges"),
    "dashes inside a line": ("performance.0", "Dense graphs --- unlike sparse ones --- cost O(n^2)"),
    "a harmless angle bracket": ("comparisons.0", "Trees: a graph with |E| < |V| edges"),
    "yaml-looking text": ("deep_dive.1", "key: value # not a comment, just text"),
}


@pytest.mark.parametrize(("field", "value"), LITERAL.values(), ids=LITERAL.keys())
def test_lookalikes_of_markup_appear_literally(cli: TopicgenCli, vault: Path, field: str, value: str) -> None:
    cli.server.script(Reply(patch={field: value}))

    result = cli.run("new", TOPIC, "--vault", str(vault))

    assert result.exit_code == 0, result.stderr
    assert [r.outcome for r in cli.server.requests] == ["scripted"]  # accepted as it is, no re-ask
    assert_valid_page(vault / "topics" / "graph-theory.md", TOPIC)
    assert value in page_text(vault)


# --- the allow-list (issue 12.3): every HTML tag and every scheme but https is refused ---------------

HTML_TAGS = """a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big
blink blockquote body br button canvas caption center cite code col colgroup data datalist dd del details dfn
dialog dir div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6
head header hgroup hr html i iframe image img input ins isindex kbd keygen label legend li link listing
main map mark marquee math menu menuitem meta meter multicol nav nextid nobr noembed noframes noscript
object ol optgroup option output p param picture plaintext portal pre progress q rb rp rt rtc ruby s samp
script search section select slot small source spacer span strike strong style sub summary sup svg table
tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr xmp""".split()  # noqa: SIM905
URL_SCHEMES = """http ftp ftps sftp file data javascript vbscript blob filesystem mailto tel sms xmpp irc ircs
ws wss ssh git svn news nntp telnet ldap about chrome chrome-extension resource view-source obsidian
zotero vscode steam magnet bitcoin intent market itms-services ms-settings jar smb afp nfs webcal""".split()  # noqa: SIM905


@pytest.mark.parametrize("tag", HTML_TAGS)
def test_every_html_tag_is_refused(tag: str) -> None:
    for text in (f"Text <{tag}>more", f"Text </{tag}> more", f"Text <{tag.upper()} x=1/>", f"x<{tag}"):
        with pytest.raises(ValueError, match="HTML"):
            check_line(text)


@pytest.mark.parametrize("scheme", URL_SCHEMES)
def test_every_url_scheme_but_https_is_refused(scheme: str) -> None:
    for text in (
        f"See [this]({scheme}:x) now",
        f"See [this]({scheme.upper()}://x) now",
        f"See [this]( &#{ord(scheme[0])};{scheme[1:]}://x) now",
        f"See <{scheme}://x> now",
        f"See {scheme}://x now",
    ):
        with pytest.raises(ValueError):
            check_line(text)


def test_https_links_and_plain_text_pass_the_allow_list() -> None:
    for text in ("See [the paper](https://example.org/a_(b)) now", "**Bold**, *em* and `code<T>`", "5 < 7"):
        assert check_line(text) == text


# What a model could put in any field: text rich in the characters markup is made of.
MODEL_TEXT = st.lists(
    st.sampled_from(
        [
            *"<>[]()!{}%#&;:/\\`*_|-= aZ9.",
            "javascript:",
            "https://x",
            "&#9;",
            "<img ",
            "<a href=",
            "![[",
            "{{",
            "--",
        ]
    ),
    min_size=1,
    max_size=30,
).map("".join)


@functools.cache
def honest_structure():
    data = json.loads(LLM_PAGE_JSON.read_text(encoding="utf-8"))
    return page_structure(render_page(TopicSummary.model_validate(data), PageContext(TOPIC, "graph-theory")))


@settings(max_examples=100, deadline=None)
@given(text=MODEL_TEXT)
def test_any_model_text_that_passes_the_rules_leaves_the_page_structure_alone(text: str) -> None:
    expected = honest_structure()
    data = json.loads(LLM_PAGE_JSON.read_text(encoding="utf-8"))
    data["what_is_it"][0] = data["examples"][0] = text
    try:
        page = TopicSummary.model_validate(data)
    except ValidationError:
        return  # refused: the model is re-asked

    shape = page_structure(render_page(page, PageContext(TOPIC, "graph-theory")))

    assert (shape.keys, shape.headings, shape.fences) == (expected.keys, expected.headings, expected.fences)
    assert (shape.html, shape.images) == ([], [])
    assert all(link.lower().startswith("https://") for link in set(shape.links) - set(expected.links))

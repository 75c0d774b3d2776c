"""Model output is untrusted: nothing a reply smuggles into a field can break the page or its frontmatter.

The fake provider is scripted to send a poisoned reply first and an honest one
after. A poisoned field is either rejected, so the model is re-asked with the
field and the reason and the page is written from the honest reply, or
neutralised, so it appears on the page literally, as text. Either way the page
keeps its exact shape: frontmatter that YAML reads back, the title, and the
outline's headings in order, with nothing else.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TopicgenCli, assert_valid_page

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
    "jinja expression": ("joke", "My favourite graph is {{ 7 * 7 }} nodes wide"),
    "jinja statement": ("what_is_it.0", "Graphs {% for x in range(3) %}loop{% endfor %} forever"),
    "jinja comment": ("history.0", "Euler {# hidden #} walked the bridges"),
    "template in a book title": ("books.topical.title", "Introduction to {{ page }}"),
    "template in a video name": ("videos.0.name", "{{ config.items() }} explained"),
    "dashes inside a line": ("performance.0", "Dense graphs --- unlike sparse ones --- cost O(n^2)"),
    "a harmless angle bracket": ("comparisons.0", "Trees: a graph with |E| < |V| edges"),
    "yaml-looking text": ("deep_dive.0", "key: value # not a comment, just text"),
}


@pytest.mark.parametrize(("field", "value"), LITERAL.values(), ids=LITERAL.keys())
def test_template_syntax_and_lookalikes_appear_literally(
    cli: TopicgenCli, vault: Path, field: str, value: str
) -> None:
    cli.server.script(Reply(patch={field: value}))

    result = cli.run("new", TOPIC, "--vault", str(vault))

    assert result.exit_code == 0, result.stderr
    assert [r.outcome for r in cli.server.requests] == ["scripted"]  # accepted as it is, no re-ask
    assert_valid_page(vault / "topics" / "graph-theory.md", TOPIC)
    assert value in page_text(vault)


def test_template_syntax_in_a_recommended_book_is_literal_in_its_quotes(
    cli: TopicgenCli, vault: Path
) -> None:
    cli.server.script(Reply(patch={"books.fictional.title": "{% include 'secret' %}"}))

    assert cli.run("new", TOPIC, "--vault", str(vault)).exit_code == 0

    assert "Fictional: \"{% include 'secret' %}\" by" in page_text(vault)

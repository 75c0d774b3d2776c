"""Validators beyond types: what model-written text must satisfy before it reaches a page."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from topicgen.page.schema import TopicSummary


def rejected(data: dict) -> str:
    """The validation errors of page data that must not validate, as one text."""
    with pytest.raises(ValidationError) as caught:
        TopicSummary.model_validate(data)
    return str(caught.value)


# --- list bounds ---------------------------------------------------------------------------------


def test_an_empty_list_section_is_rejected(llm_page_data):
    llm_page_data["what_is_it"] = []
    assert "what_is_it" in rejected(llm_page_data)


def test_a_list_far_past_its_bounds_is_rejected(llm_page_data):
    # one or two items outside the bounds are drift (tests/test_drift.py); three are not
    llm_page_data["qualities"] = [f"Quality {n}: a description" for n in range(11)]
    assert "must have 3 to 8 items, not 11" in rejected(llm_page_data)


def test_an_empty_video_list_is_rejected(llm_page_data):
    llm_page_data["videos"] = []
    assert "videos" in rejected(llm_page_data)


def test_nested_topic_lists_are_bounded_too(llm_page_data):
    llm_page_data["topics"]["children"] = []
    assert "topics.children" in rejected(llm_page_data)


def test_items_at_the_bounds_are_accepted(llm_page_data):
    llm_page_data["what_is_it"] = ["First sentence.", "Second sentence."]
    llm_page_data["surprising_perspective"] = ["One perspective."]
    TopicSummary.model_validate(llm_page_data)


# --- single-line fields --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "## A heading the model slipped in",
        "### 😂 A Joke",
        "# Title",
        "First line\nsecond line",
        "Carriage\rreturn",
        "Unicode line\u2028separator",
    ],
)
def test_headings_and_line_breaks_are_rejected_in_single_line_fields(llm_page_data, text):
    llm_page_data["capabilities"][0] = text
    assert "capabilities.0" in rejected(llm_page_data)


@pytest.mark.parametrize("text", ["- a nested list", "> a quote", "---"])
def test_list_quote_and_frontmatter_markers_are_rejected(llm_page_data, text):
    llm_page_data["history"][0] = text
    assert "history.0" in rejected(llm_page_data)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_fields_are_rejected(llm_page_data, text):
    llm_page_data["overview"]["for_a_child"] = text
    assert "must not be empty" in rejected(llm_page_data)


def test_raw_html_is_rejected(llm_page_data):
    llm_page_data["deep_dive"][0] = 'Attention <script>alert("x")</script> is all you need.'
    assert "raw HTML" in rejected(llm_page_data)


def test_script_links_in_text_are_rejected(llm_page_data):
    llm_page_data["examples"][0] = "See [the demo](javascript:alert(1)) for details."
    assert "javascript:" in rejected(llm_page_data)


@pytest.mark.parametrize(
    "text",
    [
        "See [the demo](&#106;avascript:alert(1)) for details.",
        "See [the demo](javascript&colon;alert(1)) for details.",
        'See <a href="javascript:alert(1)">the demo</a> for details.',
    ],
)
def test_script_links_hidden_behind_entities_or_html_attributes_are_rejected(llm_page_data, text):
    llm_page_data["examples"][0] = text
    assert "javascript:" in rejected(llm_page_data)


def test_a_quality_about_javascript_itself_is_accepted(llm_page_data):
    llm_page_data["qualities"][0] = (
        "JavaScript: the language of the web, see [MDN](https://developer.mozilla.org)"
    )
    TopicSummary.model_validate(llm_page_data)


def test_inline_markdown_and_a_hash_inside_a_line_are_accepted(llm_page_data):
    llm_page_data["qualities"][0] = "**Scale:** trained on #1 datasets with [links](https://example.org) 🌟"
    page = TopicSummary.model_validate(llm_page_data)
    assert page.qualities[0].startswith("**Scale:**")


def test_surrounding_whitespace_is_trimmed(llm_page_data):
    llm_page_data["history"][0] = "  Transformers arrived in 2017. 📜  "
    assert TopicSummary.model_validate(llm_page_data).history[0] == "Transformers arrived in 2017. 📜"


# --- URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/@3blue1brown",
        "https://youtube.com/watch?v=wjZofJX0v4M",
        "https://youtu.be/wjZofJX0v4M",
    ],
)
def test_youtube_addresses_are_accepted_for_videos(llm_page_data, url):
    llm_page_data["videos"][0]["url"] = url
    assert TopicSummary.model_validate(llm_page_data).videos[0].url == url


def test_an_http_youtube_address_is_written_as_https(llm_page_data):
    llm_page_data["videos"][0]["url"] = "http://m.youtube.com/c/lexfridman"
    assert TopicSummary.model_validate(llm_page_data).videos[0].url == "https://m.youtube.com/c/lexfridman"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "https address"),
        ("ftp://www.youtube.com/video", "https address"),
        ("www.youtube.com/@3blue1brown", "https address"),
        ("https://vimeo.com/123456", "YouTube"),
        ("https://www.youtube.com.evil.example/@x", "YouTube"),
        ("https://evil.example/?u=https://www.youtube.com/", "YouTube"),
        ("https://www.youtube.com/watch?v=a b", "no spaces"),
        ("https://www.youtube.com/watch?v=a)(", "brackets"),
    ],
)
def test_video_addresses_must_be_https_youtube_links(llm_page_data, url, reason):
    llm_page_data["videos"][0]["url"] = url
    assert reason in rejected(llm_page_data)


def test_square_brackets_in_a_video_name_are_rejected(llm_page_data):
    llm_page_data["videos"][0]["name"] = "Bad] [name"
    assert "square brackets" in rejected(llm_page_data)


# --- books ---------------------------------------------------------------------------------------


def test_a_book_needs_a_title(llm_page_data):
    llm_page_data["books"]["topical"]["title"] = ""
    assert "books.topical.title" in rejected(llm_page_data)


def test_a_book_needs_an_author(llm_page_data):
    llm_page_data["books"]["rigorous"]["authors"] = "  "
    assert "books.rigorous.authors" in rejected(llm_page_data)


def test_a_book_without_its_authors_field_is_rejected(llm_page_data):
    del llm_page_data["books"]["fictional"]["authors"]
    assert "books.fictional.authors" in rejected(llm_page_data)


def test_a_book_note_may_be_empty(llm_page_data):
    llm_page_data["books"]["topical"]["note"] = ""
    assert TopicSummary.model_validate(llm_page_data).books.topical.note == ""


# --- the joke and the example --------------------------------------------------------------------


@pytest.mark.parametrize("section", ["joke", "example"])
def test_the_joke_and_the_example_are_one_line(llm_page_data, section):
    llm_page_data[section] = "Why did the model cross the road?\nTo get to the other token."
    assert "single line" in rejected(llm_page_data)


@pytest.mark.parametrize("quoted", ['"A witty line."', "“A witty line.”"])
def test_quotes_around_the_joke_are_removed_because_the_page_adds_them(llm_page_data, quoted):
    llm_page_data["joke"] = quoted
    assert TopicSummary.model_validate(llm_page_data).joke == "A witty line."


# --- echoed instructions -------------------------------------------------------------------------


def test_text_that_echoes_a_prompt_instruction_is_rejected(llm_page_data):
    llm_page_data["what_is_it"][0] = "Define the topic in 2 to 5 short sentences, one per item: what it is."
    assert "repetition of the instructions" in rejected(llm_page_data)


def test_text_that_echoes_a_label_instruction_is_rejected(llm_page_data):
    llm_page_data["topics"]["advanced"][0] = "3 to 8 advanced topics for further study 🧙"
    assert "repetition of the instructions" in rejected(llm_page_data)


@pytest.mark.parametrize(
    "text",
    ["As an AI language model, I cannot browse.", "This section should list the capabilities."],
)
def test_meta_talk_about_the_prompt_is_rejected(llm_page_data, text):
    llm_page_data["capabilities"][1] = text
    assert "repetition of the instructions" in rejected(llm_page_data)


# --- the title emoji -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["🤖 LLM", "", "🤖🦜🧠💬📚🚀🌍🔬", "LLM"])
def test_the_title_emoji_are_emoji_and_nothing_else_and_not_too_many(llm_page_data, value):
    llm_page_data["title_emoji"] = value
    assert "title_emoji" in rejected(llm_page_data)


def test_emoji_with_zero_width_joiners_count_as_one(llm_page_data):
    llm_page_data["title_emoji"] = "🧙\u200d♂️👩\u200d👧\u200d👦"
    assert TopicSummary.model_validate(llm_page_data).title_emoji == "🧙\u200d♂️👩\u200d👧\u200d👦"


# --- text no file can hold -----------------------------------------------------------------------


def test_a_lone_surrogate_from_a_json_escape_is_rejected(llm_page_data):
    llm_page_data["history"][0] = "Broken \ud800 text"
    assert "lone surrogate" in rejected(llm_page_data)


def test_a_lone_surrogate_in_a_video_address_is_rejected(llm_page_data):
    llm_page_data["videos"][0]["url"] = "https://youtu.be/\udc80"
    assert "lone surrogate" in rejected(llm_page_data)


def test_control_characters_are_rejected(llm_page_data):
    llm_page_data["deep_dive"][1] = "Null\x00byte"
    assert "control characters" in rejected(llm_page_data)

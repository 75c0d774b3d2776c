"""Drift a reader would not mind is accepted, normalised and noted; what is wrong is rejected (issue 8)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from topicgen.page.drift import PAGE_CONTEXT, Drift, normalise
from topicgen.page.render import PageContext, render_body
from topicgen.page.schema import TopicSummary

SCOTLAND = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # a flag of tag characters


def accepted(data: dict) -> tuple[TopicSummary, set[str]]:
    """The page the data validates to after normalising, and the kinds of drift noted."""
    normalised, notes = normalise(data)
    return TopicSummary.model_validate(normalised), {note.drift.value for note in notes}


def test_the_reference_reply_has_no_drift(llm_page_data):
    assert normalise(llm_page_data) == (llm_page_data, [])


@pytest.mark.parametrize(("count", "bounds"), [(9, "3 to 8"), (10, "3 to 8"), (2, "3 to 8"), (1, "3 to 8")])
def test_a_list_up_to_two_items_outside_its_bounds_is_kept_whole_and_noted(llm_page_data, count, bounds):
    llm_page_data["examples"] = [f"Example {n} 💡." for n in range(count)]
    page, kinds = accepted(llm_page_data)
    assert len(page.examples) == count
    assert kinds == {"list-length"}
    (note,) = normalise(llm_page_data)[1]
    assert str(note) == f"examples: list-length: {count} items; the outline asks for {bounds}"


def test_two_child_topics_and_one_sentence_what_is_it_are_drift(llm_page_data):
    llm_page_data["topics"]["children"] = ["Transformers 🤖", "Tokenizers ✂️"]
    llm_page_data["what_is_it"] = ["A model of language."]
    page, kinds = accepted(llm_page_data)
    assert page.topics.children == ["Transformers 🤖", "Tokenizers ✂️"]
    assert kinds == {"list-length"}


def test_an_empty_list_is_wrong_not_drift(llm_page_data):
    llm_page_data["what_is_it"] = []
    with pytest.raises(ValidationError, match="must not be empty"):
        accepted(llm_page_data)


def test_a_page_read_back_may_hold_any_number_of_items(llm_page_data):
    llm_page_data["qualities"] = [f"Quality {n}: described" for n in range(14)]
    normalised, notes = normalise(llm_page_data, source=PAGE_CONTEXT["source"])
    assert len(TopicSummary.model_validate(normalised, context=PAGE_CONTEXT).qualities) == 14
    assert [note.drift for note in notes] == [Drift.LIST_LENGTH]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("**Versatile:** Can do many tasks 🌈.", "Versatile: Can do many tasks 🌈."),
        ("**Versatile**: Can do many tasks 🌈.", "Versatile: Can do many tasks 🌈."),
        ("__Versatile:__ Can do many tasks 🌈.", "Versatile: Can do many tasks 🌈."),
    ],
)
def test_bold_label_prefixes_become_the_outlines_plain_labels(llm_page_data, written, expected):
    llm_page_data["qualities"][0] = written
    page, kinds = accepted(llm_page_data)
    assert page.qualities[0] == expected and kinds == {"bold-label"}


def test_bold_inside_the_text_is_kept(llm_page_data):
    llm_page_data["qualities"][0] = "Versatile: it does **many** tasks."
    page, kinds = accepted(llm_page_data)
    assert page.qualities[0] == "Versatile: it does **many** tasks." and not kinds


@pytest.mark.parametrize("written", ["**For A Child:** Imagine a parrot.", "For a child: Imagine a parrot."])
def test_a_labelled_field_that_repeats_its_own_label_loses_it(llm_page_data, written):
    llm_page_data["overview"]["for_a_child"] = written
    page, kinds = accepted(llm_page_data)
    assert page.overview.for_a_child == "Imagine a parrot." and kinds == {"repeated-label"}


def test_a_quote_written_with_its_own_quotation_marks_and_an_emoji_after_them(llm_page_data):
    llm_page_data["joke"] = '"Why did the model cross the road? To predict the other side." 😂'
    page, kinds = accepted(llm_page_data)
    assert page.joke == "Why did the model cross the road? To predict the other side. 😂"
    assert kinds == {"quoted"}


def test_inline_math_is_kept_and_bracket_math_becomes_dollars(llm_page_data):
    llm_page_data["deep_dive"][0] = r"Attention weights are $\mathrm{softmax}(QK^T/\sqrt{d})$ 🔬."
    llm_page_data["deep_dive"][1] = r"Loss is \(-\log p(x)\) and \[H = -\sum p \log p\] 📉."
    page, kinds = accepted(llm_page_data)
    assert page.deep_dive[0] == r"Attention weights are $\mathrm{softmax}(QK^T/\sqrt{d})$ 🔬."
    assert page.deep_dive[1] == r"Loss is $-\log p(x)$ and $$H = -\sum p \log p$$ 📉."
    assert kinds == {"math"}


def test_stray_spaces_collapse_but_not_inside_code(llm_page_data):
    llm_page_data["capabilities"][0] = "  Coding:   writes `a  =  b`\tand\u200b more  "
    page, kinds = accepted(llm_page_data)
    assert page.capabilities[0] == "Coding: writes `a  =  b` and more"
    assert kinds == {"whitespace"}


@pytest.mark.parametrize(
    "emoji",
    ["🧑\u200d🔬", "👩🏽\u200d💻", "👍🏿", SCOTLAND, "1️⃣", "❤"],
    ids=["zwj", "zwj-and-skin-tone", "skin-tone", "tag-flag", "keycap", "text-presentation"],
)
def test_every_emoji_form_is_kept_as_written(llm_page_data, emoji):
    llm_page_data["title_emoji"] = emoji
    llm_page_data["capabilities"][0] = f"Coding: writes code {emoji}."
    page, kinds = accepted(llm_page_data)
    assert page.title_emoji == emoji and page.capabilities[0] == f"Coding: writes code {emoji}."
    assert not kinds


def test_a_dangling_joiner_is_removed(llm_page_data):
    llm_page_data["title_emoji"] = "🤖\u200d"
    page, kinds = accepted(llm_page_data)
    assert page.title_emoji == "🤖" and kinds == {"emoji"}


def test_six_or_seven_title_emoji_are_drift_eight_are_wrong(llm_page_data):
    llm_page_data["title_emoji"] = "🤖🦜🧠💬📚🚀🌍"
    assert accepted(llm_page_data)[1] == {"emoji"}
    llm_page_data["title_emoji"] += "🔬"
    with pytest.raises(ValidationError, match="must be 1 to 5 emoji, not 8"):
        accepted(llm_page_data)


def test_a_section_without_its_closing_label_renders_without_it(llm_page_data):
    llm_page_data["not_optimal"]["improvement"] = ""
    page, kinds = accepted(llm_page_data)
    assert kinds == {"no-closing-label"}
    body = render_body(page, PageContext("Large Language Models", "large-language-models"))
    assert "Improvement:" not in body and "Alternatives:" in body


def test_a_field_the_schema_does_not_have_is_ignored(llm_page_data):
    llm_page_data["title"] = "Hijacked"
    page, kinds = accepted(llm_page_data)
    assert kinds == {"unknown-field"} and "title" not in page.model_dump()


@pytest.mark.parametrize(
    "text",
    [
        r"Secure attachment (\~60-70%) is common 🤗.",
        r"Phase $\theta_i$ evolves as $$\frac{d\theta_i}{dt} = \omega_i$$ 🔬.",
        "Partners 🧑\u200d🤝\u200d🧑 and caregivers 👨\u200d👩\u200d👧\u200d👦 👍🏽.",
        "Where: $K$ is the coupling strength; $N$ the number of oscillators.",
    ],
)
def test_text_real_pages_hold_passes_the_text_rules(llm_page_data, text):
    llm_page_data["deep_dive"][0] = text
    page, _ = accepted(llm_page_data)
    assert page.deep_dive[0] == text

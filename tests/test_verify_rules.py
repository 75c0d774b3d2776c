"""The rules of reference checks: when a catalog entry is the book, what a YouTube address points at."""

from __future__ import annotations

import pytest

from topicgen.verify.matching import book_matches, search_terms, surnames, titles_match
from topicgen.verify.youtube import LinkKind, classify, search_link


def entry(title: str, *authors: str, subtitle: str | None = None) -> dict:
    found = {"key": "/works/OL1W", "title": title, "author_name": list(authors)}
    if subtitle:
        found["subtitle"] = subtitle
    return found


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("The Art of War", "Art of War"),
        ("Gödel, Escher, Bach", "Godel Escher Bach"),
        (
            "Hands-On Machine Learning with Scikit-Learn, Keras, and TensorFlow",
            "Hands-on machine learning with Scikit-Learn, Keras & TensorFlow",
        ),
        ("🧠 Thinking, Fast and Slow", "Thinking, fast and slow"),
    ],
)
def test_titles_match_ignoring_case_accents_punctuation_emoji_and_a_leading_article(ours, theirs):
    assert titles_match(ours, theirs)


@pytest.mark.parametrize(
    ("ours", "theirs", "subtitle"),
    [
        ("Life 3.0: Being Human in the Age of Artificial Intelligence", "Life 3.0", None),
        ("Deep Learning", "Deep Learning: Adaptive Computation and Machine Learning", None),
        ("Superintelligence: Paths, Dangers, Strategies", "Superintelligence", "Paths, Dangers, Strategies"),
        ("Sapiens: A Brief History of Humankind", "Sapiens - a brief history of humankind", None),
    ],
)
def test_a_subtitle_added_dropped_or_reworded_still_matches(ours, theirs, subtitle):
    assert titles_match(ours, theirs, subtitle)


def test_a_spelling_slip_matches_but_a_different_title_does_not():
    assert titles_match("The Structure of Scientific Revolutions", "The Structure of Scientific Revolution")
    assert not titles_match("The Structure of Scientific Revolutions", "The Structure of Evolutionary Theory")
    assert not titles_match("Deep Learning", "Deep Work")


def test_authors_match_on_one_shared_surname_however_the_names_are_written():
    doc = entry(
        "Natural Language Processing with Transformers", "Lewis Tunstall", "Leandro von Werra", "Thomas Wolf"
    )
    assert book_matches("Natural Language Processing with Transformers", "Tunstall, von Werra, Wolf", doc)
    assert book_matches("Natural Language Processing with Transformers", "Thomas Wolf et al.", doc)
    assert surnames("Stuart Russell and Peter Norvig") == {"russell", "norvig"}
    assert surnames("Martin Luther King Jr. & J. R. R. Tolkien") == {"king", "tolkien"}


def test_a_real_title_credited_to_someone_who_did_not_write_it_is_not_the_book():
    doc = entry("Deep Learning", "Ian Goodfellow", "Yoshua Bengio", "Aaron Courville")
    assert book_matches("Deep Learning", "Ian Goodfellow and Yoshua Bengio", doc)
    assert not book_matches("Deep Learning", "Andrew Ng", doc)


def test_an_entry_without_authors_or_title_never_matches():
    assert not book_matches("Deep Learning", "Ian Goodfellow", {"title": "Deep Learning"})
    assert not book_matches("Deep Learning", "Ian Goodfellow", {"author_name": ["Ian Goodfellow"]})


def test_the_catalog_is_asked_for_the_main_title_and_the_first_surname():
    assert search_terms("Life 3.0: Being Human in the Age of AI", "Max Tegmark") == ("Life 3.0", "tegmark")
    assert search_terms("Speech and Language Processing", "Dan Jurafsky and James H. Martin") == (
        "Speech and Language Processing",
        "jurafsky",
    )


@pytest.mark.parametrize(
    ("url", "kind", "key"),
    [
        ("https://www.youtube.com/watch?v=wjZofJX0v4M", LinkKind.VIDEO, "wjZofJX0v4M"),
        ("https://youtube.com/watch?v=wjZofJX0v4M&t=42s", LinkKind.VIDEO, "wjZofJX0v4M"),
        ("https://youtu.be/wjZofJX0v4M?si=abc", LinkKind.VIDEO, "wjZofJX0v4M"),
        ("https://www.youtube.com/shorts/wjZofJX0v4M", LinkKind.VIDEO, "wjZofJX0v4M"),
        ("https://www.youtube.com/embed/wjZofJX0v4M", LinkKind.VIDEO, "wjZofJX0v4M"),
        ("https://www.youtube.com/playlist?list=PLZHQObOWTQDNU6R1", LinkKind.PLAYLIST, "PLZHQObOWTQDNU6R1"),
        ("https://www.youtube.com/@veritasium", LinkKind.CHANNEL, "/@veritasium"),
        ("https://youtube.com/@twominutepapers?si=qOfEHnYQwVh4cEK0", LinkKind.CHANNEL, "/@twominutepapers"),
        ("https://www.youtube.com/@3blue1brown/videos", LinkKind.CHANNEL, "/@3blue1brown"),
        ("https://www.youtube.com/c/DeeplearningTV", LinkKind.CHANNEL, "/c/DeeplearningTV"),
        (
            "http://m.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw",
            LinkKind.CHANNEL,
            "/channel/UCYO_jab_esuFRV4b17AJtAw",
        ),
        ("https://www.youtube.com/user/numberphile", LinkKind.CHANNEL, "/user/numberphile"),
        ("https://www.youtube.com/results?search_query=steven+strogatz+sync", LinkKind.SEARCH, ""),
        ("https://www.youtube.com/", LinkKind.OTHER, ""),
        ("https://www.youtube.com/watch?v=x", LinkKind.OTHER, ""),
        ("https://www.youtube.com/feed/trending", LinkKind.OTHER, ""),
    ],
)
def test_what_a_youtube_address_points_at(url, kind, key):
    link = classify(url)
    assert (link.kind, link.key) == (kind, key)


def test_oembed_is_asked_about_the_canonical_address():
    assert (
        classify("https://youtu.be/wjZofJX0v4M").oembed_url == "https://www.youtube.com/watch?v=wjZofJX0v4M"
    )
    assert classify("https://www.youtube.com/playlist?list=PL1").oembed_url.endswith("/playlist?list=PL1")


def test_a_search_link_searches_for_the_name_and_is_a_valid_page_address():
    from topicgen.page.text_rules import check_youtube_url

    link = search_link("Steven Strogatz: Sync (TED) [talk] ")
    assert link == "https://www.youtube.com/results?search_query=Steven+Strogatz%3A+Sync+%28TED%29+%5Btalk%5D"
    assert check_youtube_url(link) == link
    assert classify(link).kind is LinkKind.SEARCH

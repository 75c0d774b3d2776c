"""Looking references up against the stand-in catalog and YouTube: answers, politeness, outages, cache."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.conftest import closed_port_url
from topicgen import __version__
from topicgen.testing import ReferenceServer, Status, TooManyRequests
from topicgen.vault.notes import NoteIndex
from topicgen.verify.cache import LookupCache
from topicgen.verify.checker import BookRef, Verdict, Verifier, VideoRef
from topicgen.verify.settings import VerifySettings

DEEP_LEARNING = BookRef("Deep Learning", "Ian Goodfellow, Yoshua Bengio and Aaron Courville")
INVENTED = BookRef("The Quiet Mathematics of Rivers", "Ian Goodfellow")


@pytest.fixture
def stand_in():
    with ReferenceServer() as server:
        server.add_book("Deep Learning", ["Ian Goodfellow", "Yoshua Bengio", "Aaron Courville"])
        server.add_video("wjZofJX0v4M")
        server.add_video("noEmbed0001", embeddable=False)
        server.add_channel("/@veritasium")
        yield server


def settings_for(server_url: str, **extra) -> VerifySettings:
    return VerifySettings(books_url=server_url, videos_url=server_url, retries=1, timeout=5, **extra)


def check(settings: VerifySettings, *, books=(), videos=(), cache=None, notes=None):
    """(book verdicts, video verdicts, the verifier's problems, requests it made)."""

    async def run():
        verifier = Verifier(settings, cache=cache, books=notes)
        try:
            found_books = await verifier.books(list(books))
            found_videos = await verifier.videos(list(videos))
            return found_books, found_videos, verifier.problems, verifier.requests
        finally:
            await verifier.aclose()

    return asyncio.run(run())


def test_a_book_the_catalog_has_is_found_and_an_invented_one_is_unknown(stand_in):
    books, _, problems, _ = check(settings_for(stand_in.url), books=[DEEP_LEARNING, INVENTED])
    assert books == [Verdict.FOUND, Verdict.UNKNOWN]
    assert problems == []


def test_an_accented_author_is_found_by_the_accent_free_surname_the_verifier_sends(stand_in):
    stand_in.add_book("Hands-On Machine Learning", ["Aurélien Géron"])
    hands_on = BookRef("Hands-On Machine Learning", "Aurélien Géron")
    books, _, _, _ = check(settings_for(stand_in.url), books=[hands_on])
    assert books == [Verdict.FOUND]  # asked for author=Geron, as Open Library folds accents


def test_a_book_with_a_note_in_the_vault_counts_as_found_without_a_lookup(stand_in, vault: Path):
    notes = NoteIndex.scan(vault / "books")
    title = notes.notes[0].title
    books, _, _, requests = check(settings_for(stand_in.url), books=[BookRef(title, "Nobody")], notes=notes)
    assert books == [Verdict.FOUND]
    assert requests == 0


@pytest.mark.parametrize(
    ("url", "verdict"),
    [
        ("https://www.youtube.com/watch?v=wjZofJX0v4M", Verdict.FOUND),
        ("https://youtu.be/wjZofJX0v4M", Verdict.FOUND),
        ("https://www.youtube.com/watch?v=noEmbed0001", Verdict.FOUND),  # 401: embedding off, but real
        ("https://www.youtube.com/watch?v=inventedId1", Verdict.UNKNOWN),
        ("https://www.youtube.com/@veritasium", Verdict.FOUND),
        ("https://www.youtube.com/@veritasium/videos", Verdict.FOUND),
        ("https://www.youtube.com/@no-such-channel", Verdict.UNKNOWN),
        ("https://www.youtube.com/results?search_query=veritasium", Verdict.FOUND),
        ("https://www.youtube.com/feed/trending", Verdict.UNKNOWN),
    ],
)
def test_videos_are_checked_with_oembed_and_channels_by_their_page(stand_in, url, verdict):
    _, videos, problems, _ = check(settings_for(stand_in.url), videos=[VideoRef("a name", url)])
    assert videos == [verdict]
    assert problems == []


def test_channels_are_fetched_and_never_sent_to_oembed(stand_in):
    check(settings_for(stand_in.url), videos=[VideoRef("V", "https://www.youtube.com/@veritasium")])
    assert stand_in.stats().routes == {"channel": 1}


def test_every_lookup_names_topicgen_its_version_and_the_contact(stand_in):
    check(settings_for(stand_in.url, contact="me@example.org"), books=[DEEP_LEARNING])
    assert stand_in.stats().user_agents == {f"topicgen/{__version__} (me@example.org)"}


def test_a_429_is_honoured_and_the_lookup_asked_again(stand_in):
    stand_in.script(TooManyRequests(retry_after=0.05))
    books, _, problems, requests = check(settings_for(stand_in.url), books=[DEEP_LEARNING])
    assert books == [Verdict.FOUND]
    assert (requests, problems) == (2, [])


def test_a_retry_after_longer_than_max_wait_leaves_the_service_unchecked(stand_in):
    stand_in.script(TooManyRequests(retry_after=3600))
    settings = settings_for(stand_in.url, max_wait=30, concurrency=1)
    books, _, problems, _ = check(settings, books=[DEEP_LEARNING, INVENTED])
    assert books == [Verdict.UNCHECKED, Verdict.UNCHECKED]
    assert problems == [f"{stand_in.url.split('//')[1]} asks to wait 3600 s (HTTP 429)"]
    assert stand_in.stats().requests == 1  # given up for the run after the first answer


def test_a_server_error_is_retried(stand_in):
    stand_in.script(Status(503))
    books, _, problems, requests = check(settings_for(stand_in.url), books=[DEEP_LEARNING])
    assert (books, problems, requests) == ([Verdict.FOUND], [], 2)


def test_a_slow_answer_within_the_timeout_is_waited_for(stand_in):
    stand_in.latency = 0.2
    books, _, _, _ = check(settings_for(stand_in.url), books=[DEEP_LEARNING])
    assert books == [Verdict.FOUND]


def test_an_answer_slower_than_the_timeout_leaves_the_reference_unchecked(stand_in):
    stand_in.latency = 2
    settings = VerifySettings(books_url=stand_in.url, videos_url=stand_in.url, retries=0, timeout=0.2)
    books, _, problems, _ = check(settings, books=[DEEP_LEARNING])
    assert books == [Verdict.UNCHECKED]
    assert "did not answer within 0.2 s" in problems[0]


def test_an_outage_costs_one_request_then_the_service_is_given_up(stand_in):
    stand_in.outage()
    books, videos, problems, _ = check(
        settings_for(stand_in.url),
        books=[DEEP_LEARNING],
        videos=[VideoRef("V", "https://www.youtube.com/watch?v=wjZofJX0v4M")],
    )
    assert books == videos == [Verdict.UNCHECKED]
    assert len(problems) == 2 and all("cannot reach" in problem for problem in problems)


def test_a_service_nobody_answers_at_is_unreachable_at_once():
    books, _, problems, _ = check(settings_for(closed_port_url()), books=[DEEP_LEARNING, INVENTED])
    assert books == [Verdict.UNCHECKED, Verdict.UNCHECKED]
    assert problems[0].startswith("cannot reach 127.0.0.1:")


def test_lookups_stay_within_the_concurrency_limit(stand_in):
    stand_in.latency = 0.05
    refs = [BookRef(f"Invented Book {n}", "Some Author") for n in range(10)]
    check(settings_for(stand_in.url, concurrency=2), books=refs)
    assert stand_in.stats().max_in_flight == 2


def test_the_same_reference_on_many_pages_is_looked_up_once_per_run(stand_in):
    books, _, _, requests = check(settings_for(stand_in.url), books=[DEEP_LEARNING] * 5)
    assert books == [Verdict.FOUND] * 5
    assert requests == 1


def test_answers_are_cached_in_the_vault_and_reused_until_they_are_too_old(stand_in, tmp_path: Path):
    now = [1_000_000.0]
    cache = LookupCache(tmp_path / "cache", max_age_days=30, clock=lambda: now[0])
    settings = settings_for(stand_in.url)
    first = check(settings, books=[DEEP_LEARNING, INVENTED], cache=cache)
    again = check(settings, books=[DEEP_LEARNING, INVENTED], cache=cache)
    assert first[0] == again[0] == [Verdict.FOUND, Verdict.UNKNOWN]
    assert (first[3], again[3]) == (2, 0)
    now[0] += 31 * 86_400
    assert check(settings, books=[DEEP_LEARNING], cache=cache)[3] == 1


def test_an_unreachable_service_leaves_nothing_in_the_cache(tmp_path: Path):
    cache = LookupCache(tmp_path / "cache", max_age_days=30)
    check(settings_for(closed_port_url()), books=[DEEP_LEARNING], cache=cache)
    assert not (tmp_path / "cache").exists()

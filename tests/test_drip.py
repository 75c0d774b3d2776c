"""Drip mode: a bounded amount of work per run (`--limit`), the next run picking up where it stopped."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import VARIANTS

from topicgen.upkeep.staleness import read_page_state

BATCH = {"TOPICGEN_BATCH_POLL": "0.02"}
TOPICS = [f"Drip Topic {n}" for n in range(1, 9)]
# The day each page says it was generated: shuffled, so name order is not age order.
DAYS = [
    "2026-03-05",
    "2026-01-02",
    "2026-07-30",
    "2026-02-11",
    "2026-05-20",
    "2026-01-01",
    "2026-06-15",
    "2026-04-09",
]


def pages(root: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted((root / "topics").glob("*.md")) if p.name != "index.md"}


def age_pages(root: Path) -> dict[str, str]:
    """Each page dated one of ``DAYS`` (its topicgen_generated), and all of them stale (max_age_days)."""
    dated = {}
    for (slug, path), day in zip(pages(root).items(), DAYS, strict=True):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^topicgen_generated: .*$", f"topicgen_generated: '{day}T09:00:00Z'", text, flags=re.M)
        path.write_text(text, encoding="utf-8")
        dated[slug] = day
    config = root / "topicgen.toml"
    config.write_text(config.read_text(encoding="utf-8") + "max_age_days = 30\n", encoding="utf-8")
    return dated


@pytest.fixture
def stale_vault(cli, vault: Path, tmp_path: Path) -> dict[str, str]:
    listing = tmp_path / "topics.txt"
    listing.write_text("\n".join(TOPICS) + "\n", encoding="utf-8")
    assert cli.run("new", "--from", str(listing), "--vault", str(vault)).exit_code == 0
    return age_pages(vault)


def regenerated(root: Path, dated: dict[str, str]) -> set[str]:
    """The pages whose generation date is no longer the one ``age_pages`` gave them."""
    return {
        slug
        for slug, day in dated.items()
        if read_page_state(pages(root)[slug]).generated_at.date().isoformat() != day
    }


def test_regen_stale_limit_5_regenerates_the_5_oldest_and_says_how_many_remain(cli, vault, stale_vault):
    oldest = sorted(stale_vault, key=stale_vault.get)
    result = cli.run("regen", "--stale", "--limit", "5", "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    assert "5 of 8 page(s) to regenerate this run, oldest generated first; 3 remain for the next run" in (
        result.stderr
    )
    assert regenerated(vault, stale_vault) == set(oldest[:5])
    again = cli.run("regen", "--stale", "--limit", "5", "--vault", str(vault))
    assert "3 of 3 page(s) to regenerate this run, oldest generated first; 0 remain" in again.stderr
    assert regenerated(vault, stale_vault) == set(stale_vault)


def test_the_dry_run_plan_of_a_limited_regen_lists_the_oldest_first(cli, vault, stale_vault):
    result = cli.run("regen", "--stale", "--limit", "3", "--dry-run", "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    oldest = sorted(stale_vault, key=stale_vault.get)[:3]
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip().startswith("drip-topic")]
    assert listed == [f"{slug}.md" for slug in oldest]
    assert "3 of 3 page(s) asked of" in result.stdout


def test_a_limited_regen_in_a_batch_collected_later_sends_no_more_than_its_limit(
    cli, fake_provider, vault, stale_vault
):
    fake_provider.configure(batch_delay=0.05)
    sent = cli.run("regen", "--stale", "--limit", "2", "--batch", "--no-wait", "--vault", str(vault), **BATCH)
    assert sent.exit_code == 0, sent.stderr
    time.sleep(0.2)
    collected = cli.run("batch", "collect", "--vault", str(vault), **BATCH)
    assert collected.exit_code == 0, collected.stderr
    assert [batch["requests"] for batch in fake_provider.batch_desk.summary()] == [2]
    assert regenerated(vault, stale_vault) == set(sorted(stale_vault, key=stale_vault.get)[:2])


def test_adopt_all_limit_adopts_that_many_in_file_name_order_counting_only_pages_it_adopts(cli, vault):
    topics = vault / "topics"
    topics.mkdir()
    for name in ("a-page", "b-page", "c-page"):  # the reference page in older shapes: nothing is missing
        shutil.copy(VARIANTS / "star-and-indented-bullets.md", topics / f"{name}.md")
    shutil.copy(VARIANTS / "no-summary.md", topics / "0-notes.md")  # a person's note: left alone
    result = cli.run("adopt", "--all", "--limit", "2", "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    assert "2 of 3 page(s) to adopt this run, in file-name order; 1 remains for the next run" in result.stderr
    assert "1 page(s) topicgen maintains, leaves alone or cannot adopt are not counted" in result.stderr
    adopted = {slug for slug, path in pages(vault).items() if read_page_state(path).generated}
    assert adopted == {"a-page", "b-page"}
    again = cli.run("adopt", "--all", "--limit", "2", "--vault", str(vault))
    assert "1 of 1 page(s) to adopt this run" in again.stderr
    assert {slug for slug, path in pages(vault).items() if read_page_state(path).generated} == {
        "a-page",
        "b-page",
        "c-page",
    }


def test_grow_in_batches_without_waiting_collects_the_last_runs_pages_first(
    cli, fake_provider, vault, draft_into
):
    fake_provider.configure(batch_delay=0.05)
    draft_into(vault)
    before = set(pages(vault))
    first = cli.run("grow", "--limit", "2", "--batch", "--no-wait", "--vault", str(vault), **BATCH)
    assert first.exit_code == 0, first.stderr
    assert set(pages(vault)) == before  # submitted, not yet answered
    time.sleep(0.2)
    second = cli.run("grow", "--limit", "2", "--batch", "--no-wait", "--vault", str(vault), **BATCH)
    assert second.exit_code == 0, second.stderr
    assert "first collecting 2 submitted by an earlier run" in second.stderr
    assert len(set(pages(vault)) - before) == 2
    time.sleep(0.2)
    third = cli.run("grow", "--limit", "2", "--batch", "--no-wait", "--vault", str(vault), **BATCH)
    assert third.exit_code == 0, third.stderr
    assert len(set(pages(vault)) - before) == 4
    assert [batch["requests"] for batch in fake_provider.batch_desk.summary()] == [2, 2, 2]  # none twice

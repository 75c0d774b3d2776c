"""What the reply cache is for, and when the model is asked again (issue 13, item 4).

The cache serves replies that have not been written yet: a resumed run, and a
page previewed with ``--output -`` and then written (which so pays once).
``--fresh``, and ``--force`` on a page that exists, ask the model again: the
reply a page was made from is never handed back to rewrite the same page.
"""

from __future__ import annotations

from pathlib import Path

from conftest import TopicgenCli

from topicgen.model.clients.base import Usage
from topicgen.model.reply_cache import ReplyCache

TOPIC = "Graph Theory"


def run(cli: TopicgenCli, vault: Path, *args: str):
    result = cli.run(*args, "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    return result


def requests(cli: TopicgenCli) -> int:
    return cli.server.stats().requests


def test_new_force_on_an_existing_page_asks_the_model_again(cli, vault):
    run(cli, vault, "new", TOPIC)
    result = run(cli, vault, "new", TOPIC, "--force")
    assert requests(cli) == 2
    assert "reply cache" not in result.stderr


def test_regen_force_asks_the_model_again(cli, vault):
    run(cli, vault, "new", TOPIC)
    result = run(cli, vault, "regen", TOPIC, "--force")
    assert requests(cli) == 2
    assert "reply cache" not in result.stderr


def test_previewing_a_new_page_then_writing_it_pays_once(cli, vault):
    preview = run(cli, vault, "new", TOPIC, "--output", "-")
    written = run(cli, vault, "new", TOPIC)
    assert requests(cli) == 1
    assert "from the reply cache" in written.stderr
    page = (vault / "topics" / "graph-theory.md").read_text(encoding="utf-8")
    assert page.split("---\n", 2)[2] == preview.stdout.split("---\n", 2)[2].rstrip("\n")


def test_previewing_an_existing_page_then_forcing_it_pays_once(cli, vault):
    run(cli, vault, "new", TOPIC)
    run(cli, vault, "new", TOPIC, "--output", "-")
    forced = run(cli, vault, "new", TOPIC, "--force")
    assert requests(cli) == 2  # the first page, then the preview that the forced run wrote
    assert "from the reply cache" in forced.stderr


def test_fresh_asks_the_model_again_even_after_a_preview(cli, vault):
    run(cli, vault, "new", TOPIC, "--output", "-")
    run(cli, vault, "new", TOPIC, "--fresh")
    assert requests(cli) == 2


def test_fresh_previews_ask_the_model_each_time(cli, vault):
    run(cli, vault, "new", TOPIC, "--output", "-", "--fresh")
    run(cli, vault, "new", TOPIC, "--output", "-", "--fresh")
    assert requests(cli) == 2


def test_a_run_resumed_after_the_reply_was_saved_pays_nothing_twice(cli, vault):
    run(cli, vault, "new", TOPIC, "--output", "-")  # a reply saved, no page written: as after a kill
    resumed = run(cli, vault, "new", TOPIC)
    assert requests(cli) == 1 and "from the reply cache" in resumed.stderr


def test_a_cached_reply_no_newer_than_the_page_is_not_served(tmp_path):
    cache = ReplyCache(tmp_path / "replies")
    cache.put("ab" * 32, {"joke": "x"}, "m", Usage(), "T")
    saved = (tmp_path / "replies" / "ab" / f"{'ab' * 32}.json").stat().st_mtime_ns
    assert cache.newer_than(saved).get("ab" * 32) is None
    assert cache.newer_than(saved - 1).get("ab" * 32) is not None
    assert cache.fresh().get("ab" * 32) is None

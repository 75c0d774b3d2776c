"""A replay folder may come from anyone: only regular files of sensible size, each validated, one line
per bad file, never a traceback, a hang or a recursion (issue 12.9). Recordings: tests/hostile/replay/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import EXCHANGES, HOSTILE

from topicgen.errors import ConfigError
from topicgen.model.clients.wire import load_exchanges

CRAFTED = {
    "missing-response.json": "a recording needs a response",
    "request-as-string.json": "request",
    "status-not-a-number.json": "response.status",
    "list-request-body.json": "request.body",
    "replay-provider.json": "'replay' is not a provider",
    "not-json.json": "not JSON",
    "list-response-body.json": "response: a successful response's body must be a JSON object",
    "response-as-string.json": "response: Input should be a valid dictionary",
}


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    folder = tmp_path / "crafted"
    shutil.copytree(HOSTILE / "replay", folder)
    return folder


def test_every_crafted_recording_is_one_line_naming_the_file_and_the_problem(crafted: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_exchanges(crafted)

    first, *lines = str(caught.value).splitlines()
    assert f"has {len(CRAFTED)} file(s) that cannot be replayed" in first
    for name, problem in CRAFTED.items():
        (line,) = [line for line in lines if line.strip().startswith(name)]
        assert problem in line, line
    assert not [line for line in lines if "unrelated.json" in line]  # JSON that is no recording is ignored


def test_a_crafted_folder_is_exit_2_with_a_line_per_file_and_no_traceback(cli, vault: Path, crafted: Path):
    result = cli.run("new", "Large Language Models", "--model", f"replay:{crafted}", "--vault", str(vault))

    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 + len(CRAFTED)
    assert not (vault / "topics" / "large-language-models.md").exists()


def test_a_fifo_named_like_a_recording_is_refused_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "replay"
    shutil.copytree(EXCHANGES, folder)
    os.mkfifo(folder / "pipe.json")

    with pytest.raises(ConfigError, match=r"pipe\.json: is not a regular file"):
        load_exchanges(folder)


def test_a_link_to_dev_zero_is_refused_without_reading_it(tmp_path: Path) -> None:
    folder = tmp_path / "replay"
    shutil.copytree(EXCHANGES, folder)
    os.symlink("/dev/zero", folder / "zero.json")

    with pytest.raises(ConfigError, match=r"zero\.json: is a symbolic link"):
        load_exchanges(folder)


def test_a_linked_folder_is_not_walked_into(tmp_path: Path, crafted: Path) -> None:
    folder = tmp_path / "replay"
    shutil.copytree(EXCHANGES, folder)
    os.symlink(crafted, folder / "elsewhere")

    assert {exchange.provider for exchange in load_exchanges(folder)} == {"openai", "anthropic", "gemini"}


def test_an_oversized_recording_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "replay"
    folder.mkdir()
    (folder / "huge.json").write_text('{"provider": "openai", "pad": "' + "x" * (9 << 20) + '"}')

    with pytest.raises(ConfigError, match=r"huge\.json: is 9\.0 MiB, over the 8\.0 MiB"):
        load_exchanges(folder)


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_render_of_a_crafted_recording_renders_its_page_or_says_why_not_in_one_line(
    cli, vault: Path, name: str
) -> None:
    result = cli.run(
        "render", str(HOSTILE / "replay" / name), "--topic", "Graph Theory", "--vault", str(vault)
    )

    if result.exit_code == 0:  # the page inside a recording is validated like any reply
        assert result.stdout.startswith("---\n")
    else:
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1

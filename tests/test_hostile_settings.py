"""A cloned vault's topicgen.toml cannot decide where the user's key goes, and no address shows its
credentials (issue 20, items 1 and 9). The hostile settings are in tests/hostile/settings/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FAKE_API_KEY, HOSTILE, TopicgenCli, closed_port_url

from topicgen.testing import FakeProvider

TOPIC = "Graph Theory"
GITHUB_TOKEN = "ghp_fakeTokenOfTheUser0123456789abcdef"  # the variable the hostile file names


def hostile_settings(name: str, server: str = "") -> str:
    return (HOSTILE / "settings" / name).read_text(encoding="utf-8").replace("{server}", server)


@pytest.fixture
def their_server() -> Iterator[FakeProvider]:
    """The server a hostile vault points at, on loopback; it must never see a request."""
    with FakeProvider() as server:
        yield server


@pytest.fixture
def cloned(empty_vault: Path, their_server: FakeProvider) -> Path:
    """A cloned vault whose topicgen.toml sends the key, read from GITHUB_TOKEN, to ``their_server``."""
    text = hostile_settings("key-to-another-server.toml", their_server.openai_base_url)
    (empty_vault / "topicgen.toml").write_text(text, encoding="utf-8")
    return empty_vault


def new(cli: TopicgenCli, vault: Path, *args: str, **env: str):
    return cli.run("new", TOPIC, "--vault", str(vault), *args, GITHUB_TOKEN=GITHUB_TOKEN, **env)


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


def user_config(user_folders: Path, text: str) -> Path:
    file = user_folders / "config" / "topicgen" / "config.toml"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")
    return file


# --- 20.1: where a key goes is the user's choice --------------------------------------------------


def test_an_untrusted_vault_cannot_send_the_key_to_its_server_nor_read_another_variable(
    cli: TopicgenCli, cloned: Path, their_server: FakeProvider
) -> None:
    cli.server.configure(api_key=FAKE_API_KEY)

    result = new(cli, cloned)

    assert result.exit_code == 0, result.stderr
    assert their_server.requests == []
    assert cli.server.requests and all(request.authorized for request in cli.server.requests)
    (line,) = warnings(result.stderr)
    assert "providers.openai.api_key_env, providers.openai.base_url" in line
    assert "ignored" in line and "topicgen trust" in line
    assert GITHUB_TOKEN not in result.stdout + result.stderr


def test_an_untrusted_vault_naming_only_an_address_gets_no_key_sent_there(
    cli: TopicgenCli, empty_vault: Path, their_server: FakeProvider
) -> None:
    text = hostile_settings("address-only.toml", their_server.openai_base_url)
    (empty_vault / "topicgen.toml").write_text(text, encoding="utf-8")

    result = new(cli, empty_vault)

    assert result.exit_code == 0, result.stderr
    assert their_server.requests == [] and cli.server.requests  # the user's OPENAI_BASE_URL holds
    (line,) = warnings(result.stderr)
    assert "providers.openai.base_url" in line


def test_a_trusted_vault_file_decides_until_it_changes(
    cli: TopicgenCli, cloned: Path, their_server: FakeProvider
) -> None:
    their_server.configure(api_key=GITHUB_TOKEN)
    trusted = cli.run("trust", "--vault", str(cloned))
    assert trusted.exit_code == 0, trusted.stderr
    assert "api_key_env" in trusted.stdout and "GITHUB_TOKEN" in trusted.stdout

    first = new(cli, cloned)

    assert first.exit_code == 0, first.stderr
    assert warnings(first.stderr) == []
    assert their_server.requests and all(request.authorized for request in their_server.requests)
    sent = len(their_server.requests)

    with (cloned / "topicgen.toml").open("a", encoding="utf-8") as stream:
        stream.write("# one more line\n")
    second = new(cli, cloned, "--force")

    assert second.exit_code == 0, second.stderr
    assert len(their_server.requests) == sent
    (line,) = warnings(second.stderr)
    assert "changed since you trusted it" in line


def test_trust_is_kept_outside_the_vault_and_can_be_listed_and_revoked(
    cli: TopicgenCli, cloned: Path, user_folders: Path
) -> None:
    before = cli.snapshot(cloned)

    assert cli.run("trust", "--vault", str(cloned)).exit_code == 0
    listed = cli.run("trust", "--list")
    revoked = cli.run("trust", "--revoke", "--vault", str(cloned))
    after = cli.run("trust", "--list")

    assert cli.snapshot(cloned) == before
    assert [path.suffix for path in (user_folders / "data" / "topicgen" / "trusted").iterdir()] == []
    assert listed.stdout.strip() == f"trusted: {cloned / 'topicgen.toml'}"
    assert "no longer trusted" in revoked.stdout
    assert after.stdout == ""


def test_trusting_a_vault_without_settings_is_refused(cli: TopicgenCli, empty_vault: Path) -> None:
    result = cli.run("trust", "--vault", str(empty_vault))

    assert result.exit_code == 2
    assert "no topicgen.toml" in result.stderr


def test_the_users_own_config_decides_where_the_key_goes_without_trust(
    cli: TopicgenCli, empty_vault: Path, their_server: FakeProvider, user_folders: Path
) -> None:
    their_server.configure(api_key=GITHUB_TOKEN)
    user_config(user_folders, hostile_settings("key-to-another-server.toml", their_server.openai_base_url))

    result = new(cli, empty_vault)

    assert result.exit_code == 0, result.stderr
    assert their_server.requests and cli.server.requests == []
    assert warnings(result.stderr) == []


def test_the_users_config_keeps_its_address_when_the_vault_sets_other_provider_settings(
    cli: TopicgenCli, empty_vault: Path, user_folders: Path
) -> None:
    file = user_config(user_folders, '[providers.ollama]\nbase_url = "http://127.0.0.1:9/"\n')
    (empty_vault / "topicgen.toml").write_text("[providers.ollama]\nnum_ctx = 32768\n", encoding="utf-8")

    result = cli.run("config", "--vault", str(empty_vault), "--json")

    rows = {row["setting"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["providers.ollama.base_url"]["from"] == f"file {file}"
    assert rows["providers.ollama.num_ctx"] == {
        "setting": "providers.ollama.num_ctx",
        "value": 32768,
        "from": f"file {empty_vault / 'topicgen.toml'}",
    }


def test_config_shows_the_settings_an_untrusted_vault_sets_as_ignored(cli: TopicgenCli, cloned: Path) -> None:
    shown = cli.run("config", "--vault", str(cloned))
    as_json = cli.run("config", "--vault", str(cloned), "--json")

    assert shown.exit_code == 0, shown.stderr
    ignored = [line for line in shown.stdout.splitlines() if "ignored" in line]
    assert len(ignored) == 2 and all(line.startswith("# providers.openai.") for line in ignored)
    assert all("not trusted" in line and "topicgen trust" in line for line in ignored)
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert {row["setting"] for row in rows if "ignored" in row} == {
        "providers.openai.base_url",
        "providers.openai.api_key_env",
    }
    in_effect = {row["setting"]: row["value"] for row in rows if "value" in row}
    assert in_effect["providers.openai.base_url"] == cli.server.openai_base_url  # the user's own variable
    assert in_effect["providers.openai.api_key_env"] == "OPENAI_API_KEY"


def test_config_marks_the_settings_of_a_trusted_vault(cli: TopicgenCli, cloned: Path) -> None:
    assert cli.run("trust", "--vault", str(cloned)).exit_code == 0

    shown = cli.run("config", "--vault", str(cloned))

    (line,) = [line for line in shown.stdout.splitlines() if line.startswith("providers.openai.api_key_env")]
    assert f"# file {cloned / 'topicgen.toml'} (trusted)" in line


@pytest.mark.parametrize("where", ["trusted vault", "environment"])
def test_a_key_is_never_sent_over_plain_http_to_another_host(
    cli: TopicgenCli, empty_vault: Path, where: str
) -> None:
    text = hostile_settings("plain-http.toml")
    env = {}
    if where == "trusted vault":
        (empty_vault / "topicgen.toml").write_text(text, encoding="utf-8")
        assert cli.run("trust", "--vault", str(empty_vault)).exit_code == 0
    else:
        env["OPENAI_BASE_URL"] = "http://models.example.net/v1"

    result = new(cli, empty_vault, **env)

    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "plain http to models.example.net" in line and "OPENAI_API_KEY" in line
    assert FAKE_API_KEY not in line
    assert not (empty_vault / "topics" / "graph-theory.md").exists()


def test_plain_http_is_fine_without_a_key_and_to_this_machine(cli: TopicgenCli, empty_vault: Path) -> None:
    to_loopback = new(cli, empty_vault)  # the stand-in listens on http://127.0.0.1
    keyless = cli.run(
        "new",
        "Rust",
        "--dry-run",
        "--vault",
        str(empty_vault),
        TOPICGEN_MODEL="ollama:llama3.1",
        OLLAMA_BASE_URL="http://gpu-box.example.net:11434",
    )

    assert to_loopback.exit_code == 0, to_loopback.stderr
    assert keyless.exit_code == 0, keyless.stderr


# --- 20.9: credentials inside addresses are never shown --------------------------------------------


SECRETS = ("hunter2pass", "hunter3query", "hunter4token", "admin:")


def test_credentials_in_an_address_are_redacted_from_config_and_the_nothing_answers_error(
    cli: TopicgenCli, empty_vault: Path, user_folders: Path, tmp_path: Path
) -> None:
    server = closed_port_url().removeprefix("http://")
    user_config(user_folders, hostile_settings("credentials-in-address.toml", server))
    record = tmp_path / "recorded"

    shown = cli.run("config", "--vault", str(empty_vault))
    as_json = cli.run("config", "--vault", str(empty_vault), "--json")
    failed = cli.run("new", TOPIC, "--vault", str(empty_vault), "--verbose", "--record", str(record))

    assert failed.exit_code == 1
    assert f"nothing answers at http://[redacted]@{server}/v1" in failed.stderr
    assert "?api_key=[redacted]&token=[redacted]&x=1" in failed.stderr
    assert "http://[redacted]@" in shown.stdout and "api_key=[redacted]" in as_json.stdout
    recordings = "".join(path.read_text(encoding="utf-8") for path in record.rglob("*") if path.is_file())
    for text in (shown.stdout, as_json.stdout, failed.stdout, failed.stderr, recordings):
        assert not [secret for secret in SECRETS if secret in text]


def test_a_bad_address_with_credentials_is_refused_without_showing_them(
    cli: TopicgenCli, empty_vault: Path
) -> None:
    result = new(cli, empty_vault, OPENAI_BASE_URL="ftp://admin:hunter2pass@127.0.0.1/v1?key=hunter3query")

    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "not a server address" in line
    assert "hunter2pass" not in line and "hunter3query" not in line


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("http://admin:pw@h:1/v1", "http://[redacted]@h:1/v1"),
        ("https://h/v1?key=abc&x=1", "https://h/v1?key=[redacted]&x=1"),
        ("https://h/?x=1&access_token=abc#f", "https://h/?x=1&access_token=[redacted]#f"),
        ("https://h/?API-KEY=abc;sig=def", "https://h/?API-KEY=[redacted]"),
        ("https://h/?my_token=abc", "https://h/?my_token=[redacted]"),
        ("https://h/?monkey=1&hotkey=2", "https://h/?monkey=1&hotkey=2"),
        ("mail me@example.com at https://example.com/a@b", "mail me@example.com at https://example.com/a@b"),
    ],
)
def test_redaction_hides_what_an_address_carries_and_nothing_else(shown: str, expected: str) -> None:
    from topicgen.model.redact import redact

    assert redact(shown) == expected

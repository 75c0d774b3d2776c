"""A key is never written anywhere, whatever variable holds it and whatever its shape (issue 12.8)."""

from __future__ import annotations

from pathlib import Path

from topicgen.model.redact import read_key, redact

ODD_KEY = "hunter2-vllm~key"  # not shaped like any provider's key: only redaction by value hides it


def test_a_key_from_api_key_env_echoed_by_the_server_reaches_no_output_and_no_recording(
    cli, empty_vault: Path, tmp_path: Path
) -> None:
    cli.server.configure(api_key="the-right-key")
    (empty_vault / "topicgen.toml").write_text(
        '[providers.openai-compatible]\napi_key_env = "VLLM_API_KEY"\n', encoding="utf-8"
    )
    record = tmp_path / "recorded"
    before = cli.snapshot(empty_vault)

    result = cli.run(
        "new",
        "Graph Theory",
        "--record",
        str(record),
        "--vault",
        str(empty_vault),
        TOPICGEN_MODEL="openai-compatible:fake-model",
        VLLM_API_KEY=ODD_KEY,
    )

    assert result.exit_code == 1
    assert cli.server.requests[0].outcome == "unauthorized"  # the server saw the key and echoed it
    assert "401" in result.stderr and "[redacted]" in result.stderr
    assert ODD_KEY not in result.stdout + result.stderr
    recordings = [path.read_text(encoding="utf-8") for path in record.rglob("*.json")]
    assert recordings and not [text for text in recordings if ODD_KEY in text]
    cli.assert_vault_clean(empty_vault, before, result.stdout, result.stderr)


def test_every_key_read_is_redacted_in_its_json_escaped_form_too(monkeypatch) -> None:
    monkeypatch.setenv("MY_ODD_VARIABLE", 'q"uo\\te-key')
    read_key("MY_ODD_VARIABLE")

    text = redact('{"error": "bad key q\\"uo\\\\te-key"} and q"uo\\te-key')

    assert "uo" not in text
    assert text.count("[redacted]") == 2

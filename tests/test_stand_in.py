"""``python -m topicgen.testing serve``: the stand-ins a person (or a CI script) tries topicgen with,
without a key (issue 21.14)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import assert_valid_page
from typer.testing import CliRunner

from topicgen.cli import app
from topicgen.testing.serve import serve


def wait_for(path: Path, limit: float = 30.0) -> str:
    deadline = time.monotonic() + limit
    while not (path.exists() and path.stat().st_size):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
    return path.read_text(encoding="utf-8")


@pytest.fixture
def stand_in(tmp_path: Path):
    """The stand-ins serving in a thread; yields the variables they export (from the ready file)."""
    ready, stop = tmp_path / "stand-in.env", threading.Event()
    thread = threading.Thread(target=serve, kwargs={"ready_file": ready, "stop": stop}, daemon=True)
    thread.start()
    try:
        yield dict(re.findall(r"^export (\w+)=(\S+)$", wait_for(ready), re.MULTILINE))
    finally:
        stop.set()
        thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_address_it_exports_is_on_127_0_0_1(stand_in):
    addresses = {name: value for name, value in stand_in.items() if name.endswith("_URL")}
    assert set(addresses) == {
        "OPENAI_BASE_URL",
        "ANTHROPIC_BASE_URL",
        "OLLAMA_BASE_URL",
        "TOPICGEN_VERIFY_BOOKS_URL",
        "TOPICGEN_VERIFY_VIDEOS_URL",
    }
    assert all(value.startswith("http://127.0.0.1:") for value in addresses.values())


def listening_addresses(port: int) -> set[str]:
    """The addresses (IPv4, as the kernel lists them) a socket listens on at ``port`` on this machine."""
    table = Path("/proc/net/tcp")
    if not table.exists():
        pytest.skip("needs Linux's /proc/net/tcp to see which address a socket is bound to")
    found = set()
    for line in table.read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_it_listens_on_127_0_0_1_and_no_other_address(stand_in):
    for name in ("OPENAI_BASE_URL", "TOPICGEN_VERIFY_BOOKS_URL"):
        port = int(stand_in[name].rsplit(":", 1)[1].split("/")[0])
        assert listening_addresses(port) == {"127.0.0.1"}


@pytest.mark.parametrize("provider", ["openai", "anthropic", "ollama"])
def test_a_page_drafted_against_it_needs_no_key_and_its_books_are_all_found(
    stand_in, empty_vault, monkeypatch, provider
):
    for name, value in stand_in.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TOPICGEN_VERIFY_ENABLED", "true")

    result = CliRunner().invoke(
        app, ["new", "Rust", "--model", f"{provider}:any-model", "--vault", str(empty_vault)]
    )

    assert result.exit_code == 0, result.stderr
    assert "not in the catalog" not in result.stderr and "not on YouTube" not in result.stderr
    assert assert_valid_page(empty_vault / "topics" / "rust.md", "Rust")["topicgen_verified"] is True


def test_the_ready_file_goes_when_the_stand_in_is_stopped(tmp_path):
    ready = tmp_path / "stand-in.env"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "topicgen.testing",
            "serve",
            "--ready-file",
            str(ready),
            "--port",
            str(free_port()),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        written = wait_for(ready)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out == written  # stdout and the ready file say the same
    assert not ready.exists()
    assert "Ctrl-C stops them" in err


def test_a_port_that_is_taken_is_one_line_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "topicgen.testing", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ},
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1

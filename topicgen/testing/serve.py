"""``python -m topicgen.testing serve``: try topicgen without a key, against stand-ins on this machine.

It starts the fake provider (answering as OpenAI, Anthropic, Ollama and their
batch APIs do, with pages of filler text for any topic) and the stand-in book
catalog and YouTube, which know every book and video the fake provider writes,
both on 127.0.0.1 and nowhere else. Then it prints the ``export`` lines that
point topicgen at them, and serves until Ctrl-C (or SIGTERM).

For scripts (a CI recipe, the README's own test): ``--ready-file FILE`` writes
the same lines to FILE once both servers listen (whole, by a rename) and
removes it when they stop, so a script starts the server in the background,
waits for FILE and sources it; ``--port`` and ``--references-port`` fix the
ports (0, the default, takes free ones).

Why here and not a ``topicgen try`` command: the ``topicgen`` command never
imports its test support (an import-linter contract), and what this serves
is a stand-in for the services, not part of the product; it ships in the
same wheel, so it works wherever topicgen is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from topicgen.testing.fake_provider import FakeProvider
from topicgen.testing.references import ReferenceServer

STAND_IN_KEY = "stand-in-key-not-a-secret"  # the adapters want a key; the stand-in takes any
BATCH_POLL = "0.5"  # the stand-in's batches end in half a second: poll that often, not every 10 s


def exports(provider: FakeProvider, references: ReferenceServer) -> dict[str, str]:
    """The variables that point topicgen at the stand-ins, whatever provider a model spec names."""
    return {
        "OPENAI_API_KEY": STAND_IN_KEY,
        "OPENAI_BASE_URL": provider.openai_base_url,
        "ANTHROPIC_API_KEY": STAND_IN_KEY,
        "ANTHROPIC_BASE_URL": provider.anthropic_base_url,
        "OLLAMA_BASE_URL": provider.ollama_base_url,
        **references.env(),
        "TOPICGEN_BATCH_POLL": BATCH_POLL,
    }


def export_lines(variables: dict[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in variables.items())


def write_whole(path: Path, text: str) -> None:
    """``text`` into ``path`` by a rename, so a script waiting for the file never reads half of it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)


def serve(
    *,
    port: int = 0,
    references_port: int = 0,
    ready_file: Path | None = None,
    latency: float = 0.0,
    stop: threading.Event | None = None,
) -> None:
    """Run the stand-ins until ``stop`` is set (Ctrl-C or SIGTERM when run as a command)."""
    stop = stop or threading.Event()
    with (
        ReferenceServer(port=references_port) as references,
        FakeProvider(port=port, latency=latency, on_page=references.learn_page) as provider,
    ):
        text = export_lines(exports(provider, references))
        sys.stdout.write(text)
        sys.stdout.flush()
        if ready_file is not None:
            write_whole(ready_file, text)
        print(
            f"# the stand-in provider listens on {provider.url}, the book catalog and YouTube on "
            f"{references.url}; Ctrl-C stops them",
            file=sys.stderr,
            flush=True,
        )
        try:
            while not stop.wait(0.2):
                pass
        finally:
            if ready_file is not None:
                with contextlib.suppress(FileNotFoundError):
                    ready_file.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m topicgen.testing",
        description="Stand-ins for the model providers and reference services, on 127.0.0.1 only.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "serve",
        help="Start the stand-in provider, book catalog and YouTube; print the variables to export.",
        description="Start the stand-in provider (OpenAI, Anthropic and Ollama wire formats, batch APIs "
        "too) and the stand-in book catalog and YouTube on 127.0.0.1, print `export` lines that point "
        "topicgen at them, and serve until Ctrl-C.",
    )
    command.add_argument(
        "--port", type=int, default=0, metavar="N", help="the provider's port (default: free)"
    )
    command.add_argument(
        "--references-port", type=int, default=0, metavar="N", help="the catalog's and YouTube's port"
    )
    command.add_argument(
        "--ready-file",
        type=Path,
        metavar="FILE",
        help="also write the export lines to FILE once both servers listen; removed when they stop",
    )
    command.add_argument(
        "--latency", type=float, default=0.0, metavar="SECONDS", help="delay every model reply (default 0)"
    )
    args = parser.parse_args(argv)
    for number in (args.port, args.references_port):
        if not 0 <= number <= 65535:
            parser.error(f"a port is a number from 0 to 65535, not {number}")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        serve(
            port=args.port,
            references_port=args.references_port,
            ready_file=args.ready_file,
            latency=args.latency,
            stop=stop,
        )
    except OSError as error:  # the port is taken, the ready file's folder is missing
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0

"""The ``topicgen`` command: a thin layer over ``topicgen.runs`` and ``topicgen.upkeep``.

Each module registers its commands on the one typer app. Only typer and the
standard library are imported at start-up; each command imports what it needs
(and provider SDKs load only when a client is built), so ``topicgen --help``
stays fast. This is the only package that imports typer.
"""

from __future__ import annotations

from topicgen.cli import adopting, batch, draft, upkeep  # noqa: F401  (registers the commands)
from topicgen.cli.app import app


def main() -> None:
    app(prog_name="topicgen")

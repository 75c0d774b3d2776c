"""The ``topicgen`` command: a thin layer over ``topicgen.runs`` and ``topicgen.upkeep``.

Each module registers its commands on the one typer app. Only typer and the
standard library are imported at start-up; each command imports what it needs
(and provider SDKs load only when a client is built), so ``topicgen --help``
stays fast. This is the only package that imports typer.

No module here uses ``from __future__ import annotations``: typer reads every
command's parameters on each run, and annotations kept as strings would be
compiled and evaluated again each time (15 ms of every command, ``--help`` too).
"""

import atexit
import contextlib
import os
import sys

from topicgen.cli import adopting, batch, configure, draft, grow, models, upkeep  # noqa: F401  (registers the commands)
from topicgen.cli.app import app, pause_collection

_exit_code = [0]


def _leave() -> None:
    """Flush and leave, skipping the interpreter's teardown of the thousands of classes and objects
    a run loads (a provider SDK's models): 0.2 s or more after every command. Registered first,
    so it runs after every other exit handler; every file topicgen writes is closed by then."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(_exit_code[0])


def main() -> None:
    atexit.register(_leave)
    pause_collection()  # until the command starts (cli.app)
    try:
        app(prog_name="topicgen")
    except SystemExit as stop:
        _exit_code[0] = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        raise
    except KeyboardInterrupt:
        _exit_code[0] = 130
        raise
    except BaseException:
        _exit_code[0] = 1
        raise

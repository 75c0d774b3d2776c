"""Where the user's own topicgen files live: ``$XDG_CONFIG_HOME/topicgen``, ``$XDG_DATA_HOME/topicgen``
and ``$XDG_CACHE_HOME/topicgen``.

The XDG base-directory rules, on every POSIX system (macOS included, as git,
gh and mise do): a variable that is unset, empty or not an absolute path falls
back to ``~/.config``, ``~/.local/share`` and ``~/.cache``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from topicgen.errors import ConfigError

APP = "topicgen"
USER_CONFIG_FILE = "config.toml"


def _base(variable: str, fallback: str, environ: Mapping[str, str] | None) -> Path:
    value = (os.environ if environ is None else environ).get(variable, "")
    if value and os.path.isabs(value):
        return Path(value)
    try:
        return Path.home() / fallback
    except RuntimeError:
        raise ConfigError(f"cannot find your home folder: set {variable} to an absolute path") from None


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder of the user's own settings (``config.toml``)."""
    return _base("XDG_CONFIG_HOME", ".config", environ) / APP


def user_config_file(environ: Mapping[str, str] | None = None) -> Path:
    """The user's own settings file, read before any vault's."""
    return config_dir(environ) / USER_CONFIG_FILE


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder of what topicgen keeps for this user: trusted vaults, the cache key."""
    return _base("XDG_DATA_HOME", ".local/share", environ) / APP


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder of what topicgen keeps for this user only to be faster (``$XDG_CACHE_HOME/topicgen``,
    ``~/.cache/topicgen``): anything in it may be deleted at any time."""
    return _base("XDG_CACHE_HOME", ".cache", environ) / APP

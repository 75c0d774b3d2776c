"""The default model, and every model the README names, is one the installed SDKs do not retire.

Each SDK's own data is the source, read by the same code that warns a user
whose configured model retires (``topicgen.model.retirement``): the OpenAI
SDK lists deprecated ids with their shutdown dates in the string that follows
``ChatModel = Literal[...]`` (Python drops that string at runtime, so it is
read from the source file); the Anthropic SDK keeps ``DEPRECATED_MODELS`` and
warns from ``messages.create``. When an SDK upgrade marks one of our models, these tests
fail in CI before a user meets the shutdown.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
import warnings
from pathlib import Path

import httpx2
import pytest

from topicgen.config import DEFAULT_MODEL
from topicgen.model.retirement import retirements

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_models(provider: str) -> set[str]:
    """Model ids the README names as ``provider:model`` (placeholders like ``<model>`` excluded)."""
    return set(re.findall(rf"(?<![\w-]){provider}:([a-z0-9][\w.\-]*[a-z0-9])", README))


def openai_shutdown_dates() -> dict[str, dt.date | None]:
    """Deprecated OpenAI ids → shutdown date, read as topicgen reads them at run time."""
    return retirements("openai")


def openai_known_models() -> set[str]:
    from openai.types.shared.chat_model import ChatModel

    return set(typing.get_args(ChatModel))


def anthropic_deprecations() -> dict[str, dt.date | None]:
    """Deprecated Anthropic ids → end-of-life date, read as topicgen reads them at run time."""
    return retirements("anthropic")


def anthropic_known_models() -> set[str]:
    from anthropic.types.model import Model

    literal = next(arg for arg in typing.get_args(Model) if typing.get_origin(arg) is typing.Literal)
    return set(typing.get_args(literal))


def anthropic_warns_for(model: str) -> bool:
    """Whether ``messages.create`` with this model emits the SDK's DeprecationWarning."""
    import anthropic

    reply = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, json=reply))
    client = anthropic.Anthropic(api_key="test-key", http_client=httpx2.Client(transport=transport))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.messages.create(model=model, max_tokens=16, messages=[{"role": "user", "content": "x"}])
    return any(issubclass(w.category, DeprecationWarning) for w in caught)


OPENAI_MODELS = sorted(readme_models("openai") | {DEFAULT_MODEL.removeprefix("openai:")})
ANTHROPIC_MODELS = sorted(readme_models("anthropic"))


# --- the readers see what the SDKs say (so the tests below can fail) --------------------------------


def test_the_openai_reader_finds_the_sdks_shutdown_dates():
    dates = openai_shutdown_dates()
    assert len(dates) > 10, "the SDK's deprecation text changed shape: update openai_shutdown_dates"
    assert dates["gpt-5-mini"] == dt.date(2026, 12, 11)  # the previous default, retired by the SDK


def test_the_anthropic_checks_see_a_retired_model():
    assert anthropic_deprecations()["claude-sonnet-4-5"] == dt.date(2026, 11, 30)
    assert anthropic_warns_for("claude-sonnet-4-5")


def test_the_readme_names_models_of_both_providers():
    assert DEFAULT_MODEL.startswith("openai:")
    assert ANTHROPIC_MODELS and OPENAI_MODELS


# --- the default and the README's models ------------------------------------------------------------


@pytest.mark.parametrize("model", OPENAI_MODELS)
def test_openai_models_we_name_are_not_deprecated_by_the_installed_sdk(model):
    dates = openai_shutdown_dates()
    assert model not in dates, f"openai:{model} shuts down {dates[model]} (openai SDK): pick a successor"


@pytest.mark.parametrize("model", OPENAI_MODELS)
def test_openai_models_we_name_are_known_to_the_installed_sdk(model):
    assert model in openai_known_models()


@pytest.mark.parametrize("model", ANTHROPIC_MODELS)
def test_anthropic_models_we_name_are_not_deprecated_by_the_installed_sdk(model):
    deprecated = anthropic_deprecations()
    assert model not in deprecated, f"anthropic:{model} reaches end-of-life on {deprecated[model]}"
    assert not anthropic_warns_for(model)


@pytest.mark.parametrize("model", ANTHROPIC_MODELS)
def test_anthropic_models_we_name_are_known_to_the_installed_sdk(model):
    assert model in anthropic_known_models()

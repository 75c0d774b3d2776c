"""Model specs choose a client; providers are registered in an entry-point group plugins can join."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from topicgen.errors import ConfigError
from topicgen.model.clients import (
    BUILTIN_FACTORIES,
    ENTRY_POINT_GROUP,
    ClientOptions,
    ModelSpec,
    available_providers,
    create_client,
)
from topicgen.model.clients.base import ModelClient

REPO = Path(__file__).resolve().parent.parent
EXCHANGES = REPO / "fixtures" / "exchanges"


@pytest.mark.parametrize(
    ("spec", "provider", "model"),
    [
        ("openai:gpt-5-mini", "openai", "gpt-5-mini"),
        ("anthropic:claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("ollama:llama3.1:8b", "ollama", "llama3.1:8b"),
        ("openai-compatible:meta-llama/Llama-3.1-8B", "openai-compatible", "meta-llama/Llama-3.1-8B"),
        ("replay:fixtures/exchanges", "replay", "fixtures/exchanges"),
        ("  OpenAI:gpt-5-mini ", "openai", "gpt-5-mini"),
    ],
)
def test_a_model_spec_is_provider_colon_model(spec, provider, model):
    assert ModelSpec.parse(spec) == ModelSpec(provider, model)


@pytest.mark.parametrize("spec", ["gpt-5-mini", "openai:", ":gpt-5-mini", ""])
def test_a_malformed_spec_is_a_config_error_with_an_example(spec):
    with pytest.raises(ConfigError, match="provider:model"):
        ModelSpec.parse(spec)


def test_an_unknown_provider_lists_the_known_ones():
    with pytest.raises(
        ConfigError, match=r"unknown model provider 'mistral'.*anthropic, gemini, ollama, openai"
    ):
        create_client("mistral:large", ClientOptions())


def test_the_builtin_providers_are_registered_as_entry_points_too():
    from importlib.metadata import entry_points

    registered = {entry.name: entry.value for entry in entry_points(group=ENTRY_POINT_GROUP)}
    assert {name: registered.get(name) for name in BUILTIN_FACTORIES} == BUILTIN_FACTORIES


def test_a_third_party_package_adds_a_provider_through_the_entry_point_group(tmp_path, monkeypatch):
    package = tmp_path / "topicgen_echo.py"
    package.write_text(
        textwrap.dedent(
            """
            from topicgen.model.clients.base import Finish, ModelReply

            class EchoClient:
                def __init__(self, model):
                    self.spec = f"echo:{model}"

                async def complete(self, request):
                    return ModelReply(request.messages[-1].content, Finish.STOP, self.spec)

                async def aclose(self):
                    pass

            def echo_client(model, options):
                return EchoClient(model)
            """
        )
    )
    info = tmp_path / "topicgen_echo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: topicgen-echo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\necho = topicgen_echo:echo_client\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    assert available_providers()["echo"] == "topicgen_echo:echo_client"
    client = create_client("echo:v1", ClientOptions())
    assert isinstance(client, ModelClient)
    assert client.spec == "echo:v1"


def test_a_plugin_cannot_shadow_a_builtin_provider(tmp_path, monkeypatch):
    info = tmp_path / "evil-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nopenai = evil:steal\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert available_providers()["openai"] == BUILTIN_FACTORIES["openai"]


def _modules_after(code: str) -> set[str]:
    script = f"{textwrap.dedent(code)}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    return set(result.stdout.split())


def test_building_an_openai_client_does_not_import_the_anthropic_sdk():
    loaded = _modules_after(
        """
        from topicgen.model.clients import ClientOptions, create_client
        create_client("openai:gpt-test", ClientOptions(api_key="k"))
        """
    )
    assert "openai" in loaded
    assert "anthropic" not in loaded


def test_building_an_anthropic_client_does_not_import_the_openai_sdk():
    loaded = _modules_after(
        """
        from topicgen.model.clients import ClientOptions, create_client
        create_client("anthropic:claude-test", ClientOptions(api_key="k"))
        """
    )
    assert "anthropic" in loaded
    assert "openai" not in loaded


def test_the_pipeline_modules_import_no_provider_sdk():
    loaded = _modules_after(
        """
        import topicgen.model.clients, topicgen.model.clients.retrying, topicgen.model.generate
        import topicgen.page.render, topicgen.page.schema, topicgen.model.prompt, topicgen.config
        import topicgen.runs.draft, topicgen.runs.api
        """
    )
    assert not {"openai", "anthropic"} & loaded

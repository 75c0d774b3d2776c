"""The prompt: jinja2 templates built from the outline, overridable per vault.

The fixed part (system message: style and outline) comes first and the topic
last, so providers' prompt caching reuses the prefix across topics.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from topicgen import resources
from topicgen.model.clients.base import Message
from topicgen.model.fingerprint import TEMPLATES, VAULT_PROMPTS, combine
from topicgen.page.outline import OUTLINE

SYSTEM_TEMPLATE, USER_TEMPLATE, REASK_TEMPLATE, SECTIONS_TEMPLATE = TEMPLATES


class Prompts:
    """Renders the prompt templates, preferring a vault's own copies in .topicgen/prompts/."""

    def __init__(self, vault: Path | None = None) -> None:
        search = [str(resources.resource_dir("prompts"))]
        if vault is not None and (vault / VAULT_PROMPTS).is_dir():
            search.insert(0, str(vault / VAULT_PROMPTS))
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(search),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,
        )

    def _render(self, name: str, **context: object) -> str:
        try:
            return self._env.get_template(name).render(outline=OUTLINE, **context).strip()
        except jinja2.TemplateError as error:
            raise PromptTemplateError(f"prompt template {name}: {error}") from error

    def system(self) -> str:
        return self._render(SYSTEM_TEMPLATE)

    def messages(self, topic: str) -> list[Message]:
        return [
            Message("system", self.system()),
            Message("user", self._render(USER_TEMPLATE, topic=topic)),
        ]

    def section_messages(self, topic: str, keys: list[str], current_page: str) -> list[Message]:
        """Ask for some sections only, with the rest of the page as context (same cached prefix)."""
        user = self._render(SECTIONS_TEMPLATE, topic=topic, sections=keys, current_page=current_page)
        return [Message("system", self.system()), Message("user", user)]

    def reask(self, topic: str, problem: str, errors: list[str]) -> Message:
        return Message("user", self._render(REASK_TEMPLATE, topic=topic, problem=problem, errors=errors))

    def sources(self) -> dict[str, str]:
        """The text of each template in effect (vault copies win)."""
        loader = self._env.loader
        assert loader is not None
        return {name: loader.get_source(self._env, name)[0] for name in TEMPLATES}


def fingerprint(prompts: Prompts, schema_text: str) -> str:
    """One hash of everything that shapes a page: outline, prompt templates and schema."""
    return combine(prompts.sources(), schema_text)


class PromptTemplateError(Exception):
    """A vault's prompt template override could not be rendered."""

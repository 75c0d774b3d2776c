"""The prompt: jinja2 templates built from the outline, overridable per vault.

The fixed part (system message: style and outline) comes first and the topic
last, so providers' prompt caching reuses the prefix across topics.

A vault's templates are someone else's text, not code: every template renders
in jinja2's immutable sandbox (no attribute walks to ``os``, no mutation),
undefined names are errors, and a vault template is read only when it is a
regular file inside the vault. Every template a vault overrides is rendered
once with sample values when ``Prompts`` is built, so a broken override is one
line naming its file, line and problem before anything is spent (topicgen's
own templates are rendered by the tests, and compiled when first used).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import jinja2

from topicgen import resources
from topicgen.errors import UsageError
from topicgen.model.clients.base import Message
from topicgen.model.fingerprint import TEMPLATES, VAULT_PROMPTS, combine, read_vault_template
from topicgen.model.template_sandbox import BoundedSandbox
from topicgen.page.outline import OUTLINE

SYSTEM_TEMPLATE, USER_TEMPLATE, REASK_TEMPLATE, SECTIONS_TEMPLATE = TEMPLATES
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
SAMPLE_CONTEXT: dict[str, dict[str, object]] = {  # what each template is given, for the start-up check
    SYSTEM_TEMPLATE: {},
    USER_TEMPLATE: {"topic": "Graph Theory"},
    REASK_TEMPLATE: {"topic": "Graph Theory", "problem": "the reply is not JSON", "errors": ["joke: empty"]},
    SECTIONS_TEMPLATE: {
        "topic": "Graph Theory",
        "sections": ["joke"],
        "current_page": "# Graph Theory",
        "problems": ["joke: must not be empty"],
    },
}


class PromptTemplateError(UsageError):
    """A vault's prompt template override cannot be used: exit 2, before any call."""


class _VaultTemplates(jinja2.BaseLoader):
    """The vault's own templates: plain file names in .topicgen/prompts, regular files only."""

    def __init__(self, vault: Path) -> None:
        self.vault = vault

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if not _PLAIN_NAME.match(template):
            raise jinja2.TemplateNotFound(template)
        text = read_vault_template(self.vault, template)
        if text is None:
            raise jinja2.TemplateNotFound(template)
        path = str(self.vault / VAULT_PROMPTS / template)
        return text, path, lambda: False


class Prompts:
    """Renders the prompt templates, preferring a vault's own copies in .topicgen/prompts/."""

    def __init__(self, vault: Path | None = None) -> None:
        self.vault = vault
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(resources.resource_dir("prompts")))]
        if vault is not None:
            loaders.insert(0, _VaultTemplates(vault))
        self._env = BoundedSandbox(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,
        )
        self._system: str | None = None
        if vault is not None:
            self.check()

    def check(self) -> None:
        """Render each of the vault's own templates once with sample values: a broken override fails
        here, not mid-run. topicgen's own need no check (and compiling the ones a run may never use,
        the re-ask templates, would only delay its first request)."""
        origins = self.origins()
        for name, context in SAMPLE_CONTEXT.items():
            if origins[name] is not None:
                self._render(name, **context)

    def _render(self, name: str, **context: object) -> str:
        try:
            return self._env.render(self._env.get_template(name), {"outline": OUTLINE, **context}).strip()
        except jinja2.TemplateSyntaxError as error:
            where = self._where(error.filename or error.name or name, error.lineno)
            raise PromptTemplateError(f"prompt template {where}: {error.message}") from None
        except Exception as error:  # anything a template raises is that template's error, in one line
            filename, line = _template_frame(error.__traceback__)
            where = self._where(filename or name, line)
            raise PromptTemplateError(f"prompt template {where}: {_message(error)}") from None

    def _where(self, filename: str, line: int | None) -> str:
        shown = filename
        if self.vault is not None and filename.startswith(str(self.vault)):
            shown = str(Path(filename).relative_to(self.vault))
        return f"{shown}, line {line}" if line else shown

    def system(self) -> str:
        """The fixed system message (it takes no variables, so it is rendered once)."""
        if self._system is None:
            self._system = self._render(SYSTEM_TEMPLATE)
        return self._system

    def messages(self, topic: str) -> list[Message]:
        return [
            Message("system", self.system()),
            Message("user", self._render(USER_TEMPLATE, topic=topic)),
        ]

    def section_messages(
        self, topic: str, keys: list[str], current_page: str, problems: list[str] | None = None
    ) -> list[Message]:
        """Ask for some sections only, with the rest of the page as context (same cached prefix).

        ``problems`` says what was wrong with these sections in the last reply (a section re-ask).
        """
        user = self._render(
            SECTIONS_TEMPLATE, topic=topic, sections=keys, current_page=current_page, problems=problems or []
        )
        return [Message("system", self.system()), Message("user", user)]

    def reask(self, topic: str, problem: str, errors: list[str]) -> Message:
        return Message("user", self._render(REASK_TEMPLATE, topic=topic, problem=problem, errors=errors))

    def sources(self) -> dict[str, str]:
        """The text of each template in effect (vault copies win)."""
        loader = self._env.loader
        assert loader is not None
        return {name: loader.get_source(self._env, name)[0] for name in TEMPLATES}

    def origins(self) -> dict[str, Path | None]:
        """Each template's vault file, or None where topicgen's own template is in effect."""
        if self.vault is None:
            return dict.fromkeys(TEMPLATES)
        return {
            name: (VAULT_PROMPTS / name if read_vault_template(self.vault, name) is not None else None)
            for name in TEMPLATES
        }


def _template_frame(trace: TracebackType | None) -> tuple[str | None, int | None]:
    """The template file and line an error was raised at (jinja2 rewrites its frames to name them)."""
    found: tuple[str | None, int | None] = (None, None)
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if not filename.endswith(".py"):
            found = (filename, trace.tb_lineno)
        trace = trace.tb_next
    return found


def _message(error: BaseException) -> str:
    if isinstance(error, MemoryError):
        return "needs more memory than a prompt may take"
    if isinstance(error, RecursionError):
        return "nests too deeply (does a template include itself?)"
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, jinja2.exceptions.SecurityError):
        return f"{text} (prompt templates run sandboxed: they can only fill in text)"
    return text


def fingerprint(prompts: Prompts, schema_text: str) -> str:
    """One hash of everything that shapes a page: outline, prompt templates and schema."""
    return combine(prompts.sources(), schema_text)

"""Linting topic pages: what is wrong with each page, with line numbers, and what adopt would do.

``check`` reads pages the way ``import`` does and adds what only the vault
can tell: links (Markdown or wiki links) to notes that do not exist. Pages
of another kind (a category page, a page with no AI summary) are named as
such and otherwise left alone. A page is clean when it has no defects; notes
(older shapes adopt would normalise) never make a page unclean.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from topicgen.errors import TopicNameError, UsageError, VaultError
from topicgen.page.render import VERIFIED_KEY
from topicgen.read.adoption import plan_adoption
from topicgen.read.findings import Code, Finding, HasFindings, excerpt
from topicgen.read.parse import LEFT_ALONE, PageKind
from topicgen.read.recognise import BREADCRUMB
from topicgen.upkeep.staleness import topic_pages
from topicgen.vault import Vault
from topicgen.vault.files import NotText, read_page_text
from topicgen.vault.frontmatter import split_page
from topicgen.vault.notes import VaultFiles
from topicgen.vault.slugs import slug_for

# A link's parts hold no '[': a search then stops at the next link rather than scanning to the line's end
# from every '[' (quadratic time on a line of brackets).
_MARKDOWN_LINK = re.compile(
    r"!?\[(?P<text>[^\[\]]*)\]\((?:<(?P<angled>[^>\[]+)>|(?P<plain>[^)\s\[]+))(?:\s+\"[^\"]*\")?\)"
)
_WIKI_LINK = re.compile(r"!?\[\[(?P<target>[^\[\]|#]+)(?:#[^\[\]|]*)?(?:\|[^\[\]]*)?\]\]")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
NOTE_SUFFIX = ".md"
NOT_VERIFIED = "its books and YouTube links were not checked yet (`topicgen check --verify`)"


@dataclass
class PageReport(HasFindings):
    """Everything ``check`` says about one page."""

    path: Path
    kind: PageKind
    findings: list[Finding] = field(default_factory=list)
    generated: bool = False
    missing: list[str] = field(default_factory=list)
    adopt: str = ""  # what ``adopt`` would do with the page

    @property
    def clean(self) -> bool:
        return not self.defects

    def as_dict(self, root: Path | None = None) -> dict[str, Any]:
        return {
            "page": _shown(self.path, root),
            "kind": self.kind.value,
            "clean": self.clean,
            "left_alone": LEFT_ALONE.get(self.kind),
            "generated": self.generated,
            "missing": self.missing,
            "adopt": self.adopt,
            "defects": [finding.as_dict() for finding in self.defects],
            "notes": [finding.as_dict() for finding in self.notes],
        }


class LinkChecker:
    """Finds links to notes that do not exist: Markdown links relative to the page (or the vault
    root), wiki links and embeds anywhere in the vault, the way Obsidian resolves them."""

    def __init__(self, vault: Vault) -> None:
        self.root = vault.root
        self._files: VaultFiles | None = None

    def _vault_files(self) -> VaultFiles:
        if self._files is None:
            self._files = VaultFiles.scan(self.root)
        return self._files

    def broken(self, path: Path, text: str) -> list[Finding]:
        frontmatter, body = split_page(text)
        offset = text[: len(text) - len(body)].count("\n") if frontmatter is not None else 0
        findings = []
        for index, line in enumerate(body.split("\n"), start=offset + 1):
            if BREADCRUMB.match(line.rstrip()):
                continue
            for match in _MARKDOWN_LINK.finditer(line):
                target = match.group("angled") or match.group("plain")
                if not self._resolves(path, target):
                    findings.append(_broken(index, match.group(0), target))
            for match in _WIKI_LINK.finditer(line):
                target = match.group("target").strip()
                if not self._vault_files().resolves(target, path):
                    findings.append(_broken(index, match.group(0), target, self._page_named(target)))
        return findings

    def _page_named(self, target: str) -> str:
        """For a wiki link by a topic's name (``[[Graph Theory]]``), where that topic's page is: Obsidian
        resolves a wiki link by file name, and a page's file name is its slug (``graph-theory.md``)."""
        try:
            slug = slug_for(target)
        except TopicNameError:
            return ""
        found = self._vault_files().find(slug) if slug != target else None
        if found is None:
            return ""
        return f"; the page for {target!r} is {found}: link it as [[{slug}|{target}]]"

    def _resolves(self, page: Path, target: str) -> bool:
        if _SCHEME.match(target) or target.startswith("#"):
            return True
        target = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if not target.endswith(NOTE_SUFFIX):
            return True  # images and other files are not notes
        base = self.root if target.startswith("/") else page.parent
        return (base / target.lstrip("/")).is_file()


def _broken(line: int, link: str, target: str, hint: str = "") -> Finding:
    return Finding(line, Code.BROKEN_LINK, f"{excerpt(link)} points at {target}, which does not exist{hint}")


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def check_text(path: Path, text: str, links: LinkChecker) -> PageReport:
    """The report for one page's text."""
    adoption = plan_adoption(path, text)
    parsed = adoption.parsed
    report = PageReport(path, parsed.kind)
    if not parsed.is_topic:
        return report
    findings = parsed.findings + links.broken(path, text)
    if parsed.frontmatter.get(VERIFIED_KEY) is False:
        findings.append(Finding(0, Code.UNVERIFIED, NOT_VERIFIED))
    report.findings = sorted(findings, key=lambda f: (f.line, f.code.value))
    report.missing = list(parsed.missing)
    report.generated = adoption.left_alone is not None
    if adoption.left_alone:
        report.adopt = "leave it alone: topicgen maintains it (see `topicgen stale`)"
    elif adoption.refused:
        report.adopt = f"leave it untouched: {adoption.refused}"
    else:
        asks = ", ".join(adoption.asks)
        report.adopt = f"rewrite it, asking the model for {asks}" if asks else "rewrite it with no model call"
        if adoption.as_written:
            report.adopt += f"; keep {', '.join(adoption.as_written)} as the page wrote it"
        if parsed.kept:
            report.adopt += f"; keep {len(parsed.kept)} line(s) no section holds after the summary"
    return report


def check_pages(vault: Vault, paths: list[Path]) -> list[PageReport]:
    """Reports for pages already known to be readable paths (see ``pages_to_check``)."""
    links = LinkChecker(vault)
    reports = []
    for path in paths:
        try:
            text = read_page_text(path)
        except VaultError as error:  # unreadable, a link, a FIFO, over the size cap: that page's finding
            why = "not UTF-8 text" if isinstance(error, NotText) else str(error)
            reports.append(PageReport(path, PageKind.TOPIC, [Finding(0, Code.UNREADABLE, why)]))
            continue
        reports.append(check_text(path, text, links))
    return reports


def pages_to_check(vault: Vault, arguments: list[Path]) -> list[Path]:
    """The pages named (folders expand to their pages), or every topic page; bad names are usage errors."""
    if not arguments:
        return list(topic_pages(vault.topics_dir))
    paths: list[Path] = []
    for argument in arguments:
        if argument.is_dir():
            paths.extend(topic_pages(argument))
            continue
        if not argument.is_file():
            what = "not a file" if argument.exists() else "no such page"  # a device, a FIFO, a socket
            raise UsageError(f"{argument}: {what}")
        try:
            read_page_text(argument)  # a VaultError (a usage error) names why it cannot be read
        except NotText:
            raise UsageError(f"{argument} is not UTF-8 text") from None
        paths.append(argument)
    return paths


def summarize_notes(notes: list[Finding]) -> list[str]:
    """Notes grouped by kind: 'bullet-emoji ×42 (lines 34-147)'."""
    lines: dict[str, list[int]] = defaultdict(list)
    for note in notes:
        lines[note.code.value].append(note.line)
    summary = []
    for code, numbers in lines.items():
        where = [n for n in numbers if n]
        span = (
            f" (line {where[0]})"
            if len(where) == 1
            else f" (lines {min(where)}-{max(where)})"
            if where
            else ""
        )
        summary.append(f"{code} ×{len(numbers)}{span}" if len(numbers) > 1 else f"{code}{span}")
    return summary


def format_report(report: PageReport, root: Path | None = None) -> str:
    """The human-readable report of one page."""
    name = _shown(report.path, root)
    if report.kind is not PageKind.TOPIC:
        return f"{name}: {LEFT_ALONE[report.kind]}"
    defects = report.defects
    head = f"{name}: {len(defects)} defect{'s' if len(defects) != 1 else ''}" if defects else f"{name}: ok"
    lines = [head]
    lines += [f"  {finding}" for finding in defects]
    notes = summarize_notes(report.notes)
    if notes:
        lines.append(f"  notes: {'; '.join(notes)}")
    if report.adopt and not report.generated:
        lines.append(f"  adopt would {report.adopt}")
    return "\n".join(lines)

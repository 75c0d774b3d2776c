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

from topicgen.errors import TopicNameError, UsageError
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
from topicgen.vault.stat_cache import Facts, ScanCache, read_page, read_pages

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


@dataclass(frozen=True)
class LinkRef:
    """A link in a page's body: where, as written, and what it points at (a note's path or a wiki name)."""

    line: int
    link: str
    target: str
    wiki: bool


def link_refs(text: str) -> list[LinkRef]:
    """Every Markdown link and wiki link (or embed) in a page's body, breadcrumb left out."""
    frontmatter, body = split_page(text)
    offset = text[: len(text) - len(body)].count("\n") if frontmatter is not None else 0
    refs = []
    for index, line in enumerate(body.split("\n"), start=offset + 1):
        if BREADCRUMB.match(line.rstrip()):
            continue
        for match in _MARKDOWN_LINK.finditer(line):
            refs.append(LinkRef(index, match.group(0), match.group("angled") or match.group("plain"), False))
        for match in _WIKI_LINK.finditer(line):
            refs.append(LinkRef(index, match.group(0), match.group("target").strip(), True))
    return refs


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
        return self.broken_refs(path, link_refs(text))

    def broken_refs(self, path: Path, refs: list[LinkRef]) -> list[Finding]:
        """The links of ``refs`` (found in the page at ``path``) that lead to no note of the vault now."""
        findings = []
        for ref in refs:
            found = (
                self._vault_files().resolves(ref.target, path)
                if ref.wiki
                else self._resolves(path, ref.target)
            )
            if not found:
                hint = self._page_named(ref.target) if ref.wiki else ""
                findings.append(_broken(ref.line, ref.link, ref.target, hint))
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


@dataclass(frozen=True)
class PageCheck:
    """What checking a page finds in the page alone: all of its report but the links that lead nowhere,
    which depend on the vault's other files and are found again every time (``report``)."""

    path: Path
    kind: PageKind
    findings: tuple[Finding, ...] = ()
    links: tuple[LinkRef, ...] = ()
    generated: bool = False
    missing: tuple[str, ...] = ()
    adopt: str = ""

    def report(self, links: LinkChecker) -> PageReport:
        report = PageReport(
            self.path, self.kind, list(self.findings), self.generated, list(self.missing), self.adopt
        )
        if self.links:
            found = [*self.findings, *links.broken_refs(self.path, list(self.links))]
            report.findings = sorted(found, key=lambda f: (f.line, f.code.value))
        return report


def page_check(path: Path, text: str) -> PageCheck:
    """What a page's text says about it, its links unresolved."""
    adoption = plan_adoption(path, text)
    parsed = adoption.parsed
    if not parsed.is_topic:
        return PageCheck(path, parsed.kind)
    findings = list(parsed.findings)
    if parsed.frontmatter.get(VERIFIED_KEY) is False:
        findings.append(Finding(0, Code.UNVERIFIED, NOT_VERIFIED))
    if adoption.left_alone:
        adopt = "leave it alone: topicgen maintains it (see `topicgen stale`)"
    elif adoption.refused:
        adopt = f"leave it untouched: {adoption.refused}"
    else:
        asks = ", ".join(adoption.asks)
        adopt = f"rewrite it, asking the model for {asks}" if asks else "rewrite it with no model call"
        if adoption.as_written:
            adopt += f"; keep {', '.join(adoption.as_written)} as the page wrote it"
        if parsed.kept:
            adopt += f"; keep {len(parsed.kept)} line(s) no section holds after the summary"
    return PageCheck(
        path,
        parsed.kind,
        tuple(sorted(findings, key=lambda f: (f.line, f.code.value))),
        tuple(link_refs(text)),
        adoption.left_alone is not None,
        tuple(parsed.missing),
        adopt,
    )


def check_text(path: Path, text: str, links: LinkChecker) -> PageReport:
    """The report for one page's text."""
    return page_check(path, text).report(links)


def _checked(path: Path, raw: bytes) -> PageCheck:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _unreadable(path, "not UTF-8 text")
    return page_check(path, text.replace("\r\n", "\n").replace("\r", "\n"))  # as read_page_text reads


def _unreadable(path: Path, why: str) -> PageCheck:
    return PageCheck(path, PageKind.TOPIC, (Finding(0, Code.UNREADABLE, why),))


def _read_failure(path: Path, error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return f"{path} no longer exists"
    return f"cannot read {path}: {error.strerror or error}"


def _dump(check: PageCheck) -> list[Any]:
    findings = [[f.line, f.code.value, f.message, f.section] for f in check.findings]
    links = [[ref.line, ref.link, ref.target, ref.wiki] for ref in check.links]
    return [check.kind.value, findings, links, check.generated, list(check.missing), check.adopt]


def _load(path: Path, kept: list[Any]) -> PageCheck:
    kind, findings, links, generated, missing, adopt = kept
    return PageCheck(
        path,
        PageKind(kind),
        tuple(
            Finding(int(line), Code(code), str(message), section) for line, code, message, section in findings
        ),
        tuple(LinkRef(int(line), str(link), str(target), bool(wiki)) for line, link, target, wiki in links),
        bool(generated),
        tuple(str(key) for key in missing),
        str(adopt),
    )


PAGE_CHECKS = Facts(
    "checks",
    1,
    _checked,
    lambda path, error: _unreadable(path, str(error)),
    lambda path, error: _unreadable(path, _read_failure(path, error)),
    _dump,
    _load,
)


def check_pages(vault: Vault, paths: list[Path], cache: ScanCache | None = None) -> list[PageReport]:
    """Reports for pages already known to be readable paths (see ``pages_to_check``).

    With a scan ``cache``, what a page of the topics folder says about itself is
    read only if it changed since the last check; its links are resolved
    against the vault as it is now, every time.
    """
    links = LinkChecker(vault)
    folder = vault.topics_dir
    names = [path.name for path in paths if path.parent == folder]
    known = dict(zip(names, read_pages(folder, PAGE_CHECKS, cache, names=names), strict=True))
    return [
        (known[path.name] if path.parent == folder else read_page(path, PAGE_CHECKS)).report(links)
        for path in paths
    ]


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

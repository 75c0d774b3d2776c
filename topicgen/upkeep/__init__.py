"""Judging and tending a whole vault: staleness, checks, links, the index.

Owns what reads every page of a vault and says or fixes something about it:
which pages are stale and why, linting pages with line numbers, keeping topic
and book links pointing at notes that exist, ``topics/index.md``, the
vault as rendering sees it (its notes and settings), and every setting in
effect with where it came from (``topicgen config``).

May import: ``topicgen.config``, ``topicgen.read``, ``topicgen.model`` (never a
client: upkeep spends nothing), ``topicgen.page``, ``topicgen.vault``,
``topicgen.errors``.
"""

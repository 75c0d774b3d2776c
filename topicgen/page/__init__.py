"""The page as data and as Markdown.

Owns the outline (the single source of truth for the 20 sections), the page
schema and its text rules, emoji handling, the renderer and its templates,
cutting a body into sections and splicing them back, and the hashes that tell
a human edit from topicgen's own text.

May import: ``topicgen.vault``, ``topicgen.errors``, ``topicgen.resources``.
"""

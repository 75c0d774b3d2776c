"""Reading pages back: any era's Markdown into page data, with what is wrong with it.

Owns the Markdown block tree, recognising the outline's words in page text,
the page parser, the findings vocabulary shared by import, check and adopt,
rewriting a parsed page in the canonical shape, and deciding from a page
alone what adopting it would take.

May import: ``topicgen.page``, ``topicgen.vault``, ``topicgen.errors``. Never a
model client: reading a page costs nothing.
"""

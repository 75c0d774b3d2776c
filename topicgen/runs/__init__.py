"""Work over many pages: the engine, the page jobs, progress and summary.

Owns the one engine every run uses (a bounded pool of concurrent jobs with a
cost budget and a clean stop), the page jobs built on a shared ``Workshop``
(draft a new page, regenerate sections of one, adopt a page topicgen did not
write), the library entry points the CLI calls, and the progress display and
run summary.

May import every layer below: ``topicgen.upkeep``, ``topicgen.config``,
``topicgen.read``, ``topicgen.model``, ``topicgen.page``, ``topicgen.vault``,
``topicgen.errors``. Never typer: the CLI is the only place that does.
"""

"""Batch runs: the same page jobs as live runs, with the model's replies coming from provider batches.

A batch run plans, submits, waits for, collects and resumes batches (OpenAI
Batch, Anthropic Message Batches) for ``new``, ``regen`` and ``adopt``. It
runs the very page jobs of a live run (``Drafter``, ``Regenerator``,
``Adopter``) with a client that answers from collected batch replies
(``answers``): what a job would ask that no batch has answered yet is
deferred and becomes a line of the next batch, so the planning, prompts,
schemas, reply cache, validation, re-asks, rendering, human-edit rules and
writer are exactly the live ones. ``store`` keeps every batch's plan and
state under ``<vault>/.topicgen/batches/`` (written before a batch is
created, its id recorded the moment the provider returns it), so a rerun
never submits a request twice; ``plan`` splits requests by the provider's
limits and prices them; ``runner`` drives the passes.

May import: ``topicgen.runs`` (the page jobs, engine, outcomes) and every
layer below it. Never typer; provider SDKs only through
``topicgen.model.clients.batch``.
"""

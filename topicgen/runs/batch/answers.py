"""A model client whose replies come from collected batches; what it cannot answer is deferred.

The page jobs call ``complete`` exactly as they call a live client, so the
reply goes through the same validation, re-asks, reply cache and writer. A
request no batch has answered raises ``Deferred`` (not a ``ModelError``, so
the page job lets it through untouched and writes nothing); the runner turns
it into the next batch's line. With a live client (``--reask live``), a job
that has already had a batch reply asks its follow-up questions live instead.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from dataclasses import dataclass, field, replace

from topicgen.errors import ModelError
from topicgen.model.clients.base import ModelClient, ModelReply, ModelRequest, Usage
from topicgen.runs.batch.store import AnswerIndex

CUSTOM_ID_LENGTH = 48


def batch_key(request: ModelRequest) -> str:
    """The request's custom id: a hash of what is asked (the run's model is recorded beside it)."""
    payload = json.dumps(
        [[[m.role, m.content] for m in request.messages], request.schema, request.max_output_tokens],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:CUSTOM_ID_LENGTH]


class Deferred(Exception):
    """The request has no batch answer yet: it is in a batch in flight, or goes in the next one."""

    def __init__(self, custom_id: str, request: ModelRequest, in_flight: bool) -> None:
        super().__init__(custom_id)
        self.custom_id = custom_id
        self.request = request
        self.in_flight = in_flight


class BatchRequestFailed(ModelError):
    """The batch ran, but this request came back without a reply (expired, cancelled, errored)."""


@dataclass
class Asking:
    """What one page job has been through with the batch answers (set per job by the runner).

    ``used``: the (batch, custom id) answers the job read, replies and failures alike; once the
    job ends (not deferred) they are counted, and a later run reading them again pays nothing.
    ``live``: what its live calls (``--reask live``) used, priced at live rates.
    """

    label: str
    answered: int = 0
    used: list[tuple[str, str]] = field(default_factory=list)
    live: Usage = field(default_factory=Usage)


CURRENT: contextvars.ContextVar[Asking | None] = contextvars.ContextVar("batch_asking", default=None)


class BatchAnswers:
    """Answers from the vault's collected batches of one model spec.

    ``retry_before``: failures collected before this moment (epoch seconds) are
    not final, their requests are deferred again (a rerun sends them anew);
    failures collected later fail the page with their reason.
    """

    def __init__(
        self,
        spec: str,
        index: AnswerIndex,
        in_flight: set[str],
        *,
        live: ModelClient | None = None,
        retry_before: float = 0.0,
    ) -> None:
        self.spec = spec
        self.index = index
        self.in_flight = in_flight
        self.live = live
        self.retry_before = retry_before
        self.live_calls = 0
        self.failures = 0  # requests the batch ran but could not answer (expired, cancelled, errored)

    async def complete(self, request: ModelRequest) -> ModelReply:
        custom_id = batch_key(request)
        asking = CURRENT.get()
        answer = self.index.get(custom_id)
        if answer is not None and answer.reply is not None:
            if asking is not None:
                asking.answered += 1
                asking.used.append((answer.batch, custom_id))
            if answer.counted:  # an earlier run's summary counted it: it was paid once
                return replace(answer.reply, usage=Usage())
            return answer.reply
        if custom_id in self.in_flight:
            raise Deferred(custom_id, request, in_flight=True)
        # a request refused for its form (resend_as) goes again in the form the client now writes
        final = answer is not None and answer.resend_as is None and answer.collected >= self.retry_before
        if answer is not None and final:
            self.failures += 1
            if asking is not None:
                asking.used.append((answer.batch, custom_id))
            raise BatchRequestFailed(
                f"{answer.error} in its batch; run the same command again "
                "(or `topicgen batch collect --retry`) to send it anew"
            )
        if self.live is not None and asking is not None and asking.answered:
            self.live_calls += 1
            reply = await self.live.complete(request)
            asking.live += reply.usage
            return reply
        raise Deferred(custom_id, request, in_flight=False)

    async def aclose(self) -> None:
        if self.live is not None:
            await self.live.aclose()

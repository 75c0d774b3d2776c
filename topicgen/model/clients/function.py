"""A model client backed by a Python function: for tests and scripts, instead of mocks.

``FunctionClient(lambda request: '{"joke": ...}')`` answers every request by
calling the function, which may return reply text or a whole ``ModelReply``.
It records the requests it saw, so a test can assert what was asked.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from topicgen.model.clients.base import Finish, ModelReply, ModelRequest, Usage

Answer = str | ModelReply
Function = Callable[[ModelRequest], Answer | Awaitable[Answer]]


class FunctionClient:
    def __init__(self, function: Function, spec: str = "function:test") -> None:
        self.spec = spec
        self.function = function
        self.requests: list[ModelRequest] = []

    async def complete(self, request: ModelRequest) -> ModelReply:
        self.requests.append(request)
        answer = self.function(request)
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, ModelReply):
            return answer
        chars = sum(len(m.content) for m in request.messages)
        return ModelReply(answer, Finish.STOP, self.spec, Usage(chars // 4, len(answer) // 4))

    async def aclose(self) -> None:
        return None

"""A jinja2 sandbox that also bounds what a template may cost: time, memory and depth.

jinja2's immutable sandbox keeps a vault's prompt templates away from Python
objects, but not from the machine: nested ``range(100000)`` loops run for
hours, ``'x' * 100000 * 100000`` or a self-doubling macro exhausts memory,
a self-calling macro or self-include overflows the stack (issue 20). Here
every render gets a budget:

- **time**: every loop step, call, filter and operator checks a deadline;
- **text**: everything a template writes, into the prompt or into a block,
  a macro or a ``{% set %}``, counts against one allowance, and no value it
  builds (by ``*``, ``+``, ``%``, ``~``, a call or a filter) may be larger;
  sizes are checked before an operation allocates where they can be known;
- **depth**: macro calls nest at most ``MAX_DEPTH`` deep, and a render
  loads at most ``MAX_INCLUDES`` templates (a template including itself).

The loop, output, concatenation and include hooks are spliced into each
template's syntax tree when it is parsed, so no template can bypass or
shadow them; constant folding is off, so nothing a template holds runs
while it compiles, outside its budget. Breaking a limit raises
``TemplateLimitError``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SECONDS = 5.0  # a prompt renders in milliseconds; this leaves room for a machine under load
MAX_DEPTH = 50  # macro calls inside macro calls
MAX_INCLUDES = 100  # templates one render includes, imports or extends
MAX_NUMBER = 1_000_000  # no argument or format width beyond this: no template needs a bigger one
MAX_INTEGER_BITS = 4096  # integers a template computes ('9 ** 9 ** 9' would take minutes)
TEMPLATE_TEXT = 100_000  # characters a template may add beyond the text it is given (~25,000 tokens)
_FORMAT_NUMBER = re.compile(r"\d+")


class TemplateLimitError(jinja2.TemplateError):
    """A template went past what a prompt may cost (time, text or depth)."""


@dataclass
class _Budget:
    deadline: float
    allowance: int  # characters: the most any value may hold, and all output together
    written: int = 0
    depth: int = 0
    includes: int = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"took more than {MAX_SECONDS:g} s to render")

    def check_size(self, size: int, what: str) -> None:
        if size > self.allowance:
            raise TemplateLimitError(
                f"{what} would hold more than {self.allowance:,} characters (a prompt template may add "
                f"at most {TEMPLATE_TEXT:,} to the text it is given)"
            )


_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def size_of(value: Any, limit: int) -> int:
    """About how many characters ``value`` holds, shown as text: strings by length, containers by
    their items (each reference counted, as printing them repeats it), numbers by digits. Counting
    stops past ``limit``, so a huge value costs no more than a large one."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            total += 2 + len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + len(item)
            stack.extend(item)
        elif isinstance(item, int):
            total += max(1, item.bit_length() // 3)
        else:
            total += 8
    return total


def _numbers_within_bounds(values: Iterable[Any]) -> None:
    """No argument is a number large enough to make a huge result ('x'.center(10**9), wordwrap)."""
    for value in values:
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
            raise TemplateLimitError(f"a number above {MAX_NUMBER:,} ({value:.3g}) is passed to a call")


def _format_within_bounds(text: str) -> None:
    """A format string asks for no field wider or more precise than ``MAX_NUMBER`` ('%0999999999d')."""
    for match in _FORMAT_NUMBER.finditer(text):
        if len(match.group()) > len(str(MAX_NUMBER)) or int(match.group()) > MAX_NUMBER:
            raise TemplateLimitError(f"a format string asks for a field of {match.group()} characters")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox with a budget for every render (see the module's docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%", "//", "-", "/"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("optimized", False)  # folding constants would run filters at compile time
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)  # paragraphs of filler by the million: no prompt needs it
        self.filters = {name: _bounded_filter(function) for name, function in self.filters.items()}

    def render(self, template: jinja2.Template, context: dict[str, Any]) -> str:
        """``template`` rendered with ``context`` within a fresh budget."""
        given = size_of(context, limit=1 << 62)
        budget = _Budget(time.monotonic() + MAX_SECONDS, TEMPLATE_TEXT + given)
        token = _BUDGET.set(budget)
        try:
            return "".join(template.generate(context))
        finally:
            _BUDGET.reset(token)

    # --- hooks the sandbox calls -----------------------------------------------------------------

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _BUDGET.get()
        if __obj in _HOOKS:
            return __obj(*args)
        if budget is None:
            return super().call(__context, __obj, *args, **kwargs)
        budget.tick()
        _numbers_within_bounds((*args, *kwargs.values()))
        budget.depth += 1
        try:
            if budget.depth > MAX_DEPTH:
                raise TemplateLimitError(f"calls nest more than {MAX_DEPTH} deep (a macro calling itself?)")
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        budget.check_size(size_of(result, budget.allowance), "a call's result")
        return result

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = _BUDGET.get()
        if budget is not None:
            budget.tick()
            _check_binop(budget, operator, left, right)
        result = super().call_binop(context, operator, left, right)
        if budget is not None:
            budget.check_size(size_of(result, budget.allowance), f"the result of '{operator}'")
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        sandboxed = super().wrap_str_format(value)
        if sandboxed is None:
            return None

        @wraps(sandboxed)
        def bounded(*args: Any, **kwargs: Any) -> str:
            _format_within_bounds(value.__self__)
            return sandboxed(*args, **kwargs)

        return bounded

    # --- the hooks spliced into every template ---------------------------------------------------

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = _hook("bounded_loop", [loop.iter], loop.lineno)
        for output in tree.find_all(nodes.Output):
            output.nodes = [_hook("bounded_output", [part], part.lineno) for part in output.nodes]
        for concat in tree.find_all(nodes.Concat):
            concat.nodes = [_hook("bounded_concat", list(concat.nodes), concat.lineno)]
        for loading in (*tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)),):
            loading.template = _hook("bounded_include", [loading.template], loading.lineno)
        tree.set_environment(self)
        return tree

    @staticmethod
    def bounded_loop(items: Any) -> Iterator[Any]:
        """A loop's items, one budget step each."""
        budget = _BUDGET.get()
        for item in items:
            if budget is not None:
                budget.tick()
            yield item

    @staticmethod
    def bounded_output(value: Any) -> Any:
        """What a template writes (to the prompt, a block, a macro or a ``set``), counted."""
        budget = _BUDGET.get()
        if budget is not None:
            budget.written += size_of(value, budget.allowance)
            budget.check_size(budget.written, "its output")
        return value

    @staticmethod
    def bounded_include(name: Any) -> Any:
        """The name of a template to include, import or extend, counted."""
        budget = _BUDGET.get()
        if budget is not None:
            budget.tick()
            budget.includes += 1
            if budget.includes > MAX_INCLUDES:
                raise TemplateLimitError(
                    f"loads more than {MAX_INCLUDES} templates (does one include itself?)"
                )
        return name

    @staticmethod
    def bounded_concat(*parts: Any) -> str:
        """``a ~ b``: sized before it is joined."""
        budget = _BUDGET.get()
        if budget is not None:
            budget.tick()
            budget.check_size(sum(size_of(part, budget.allowance) for part in parts), "a '~' joining")
        return "".join(map(str, parts))


_HOOKS = frozenset(
    {
        BoundedSandbox.bounded_loop,
        BoundedSandbox.bounded_output,
        BoundedSandbox.bounded_include,
        BoundedSandbox.bounded_concat,
    }
)


def _hook(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    """A call to one of the environment's hooks: an environment attribute no template can name."""
    return nodes.Call(nodes.EnvironmentAttribute(name), args, [], None, None, lineno=lineno)


def _check_binop(budget: _Budget, operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too large, before it is computed."""
    numbers = all(isinstance(side, int) and not isinstance(side, bool) for side in (left, right))
    if operator == "**" and numbers and abs(left) > 1:
        if right * max(1, abs(left).bit_length()) > MAX_INTEGER_BITS:
            raise TemplateLimitError(f"'{left} ** {right}' is a number too large to compute")
    elif operator == "*" and numbers:
        if abs(left).bit_length() + abs(right).bit_length() > MAX_INTEGER_BITS:
            raise TemplateLimitError("'*' would make a number too large to compute")
    elif operator == "*":
        count = right if isinstance(right, int) else left if isinstance(left, int) else 1
        sequence = left if isinstance(right, int) else right
        budget.check_size(size_of(sequence, budget.allowance) * max(0, count), "the result of '*'")
    elif operator == "+":
        budget.check_size(
            size_of(left, budget.allowance) + size_of(right, budget.allowance), "the result of '+'"
        )
    elif operator == "%" and isinstance(left, str):
        _format_within_bounds(left)


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter within the budget: a step, no huge number among its arguments, a result of bounded size."""

    @wraps(function)  # keeps jinja2's pass_context/pass_environment marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _numbers_within_bounds((*args, *kwargs.values()))
        budget = _BUDGET.get()
        if budget is None:
            return function(*args, **kwargs)
        budget.tick()
        if function is jinja2.filters.do_format and args and isinstance(args[0], str):
            _format_within_bounds(args[0])
        result = function(*args, **kwargs)
        budget.check_size(size_of(result, budget.allowance), f"the result of a filter ({function.__name__})")
        return result

    return bounded

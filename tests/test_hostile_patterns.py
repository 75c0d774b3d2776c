"""No regular expression topicgen runs on model or vault text stalls a run (issue 20.4).

A backtracking pattern can take quadratic or cubic time on text built to
make it try every split: a joke of 3,000 backticks took 541 s. Every pattern
applied to model or vault text is listed in tests/hostile/text/slow-patterns.json
with the call topicgen makes and inputs built to hurt it, and each runs on
100,000 characters of them within a bound measured against a plain scan of
the same input (a ratio, so a slow or busy machine changes nothing; a
quadratic pattern is thousands of times over it). Patterns that read no model
or vault text are listed as exempt, with why; a new pattern must be one or
the other.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import time
from collections.abc import Iterator

import pytest
from conftest import HOSTILE, REPO

TABLE = json.loads((HOSTILE / "text" / "slow-patterns.json").read_text(encoding="utf-8"))
PATTERNS, EXEMPT = TABLE["patterns"], TABLE["exempt"]
LENGTH = 100_000
FIRST_LENGTH = 10_000  # tried first: a super-linear pattern fails here in a second, not in an hour
RATIO = 10  # times a plain scan; linear patterns measure at most ~2.5 here, quadratic ones in the thousands
_PLAIN_SCAN = re.compile(".", re.DOTALL)


def resolve(name: str) -> re.Pattern:
    """``topicgen.page.drift:_BOLD_LABEL[0]`` → that pattern object."""
    module, _, attribute = name.partition(":")
    base, _, key = attribute.partition("[")
    value = getattr(importlib.import_module(module), base)
    if key:
        value = value[ast.literal_eval(key.removesuffix("]"))]
    if isinstance(value, tuple):  # (pattern, replacement) pairs
        value = value[0]
    assert isinstance(value, re.Pattern), name
    return value


def hostile_text(prefix: str, unit: str, suffix: str, length: int) -> str:
    return prefix + unit * max(1, (length - len(prefix) - len(suffix)) // len(unit)) + suffix


def seconds(pattern: re.Pattern, call: str, text: str) -> float:
    """The best of three runs of ``pattern``'s ``call`` over ``text``, as topicgen makes it."""
    subject: str | bytes = text.encode() if isinstance(pattern.pattern, bytes) else text
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        if call == "sub":
            pattern.sub(subject[:0], subject)
        elif call == "finditer":
            for _ in pattern.finditer(subject):
                pass
        else:
            getattr(pattern, call)(subject)
        best = min(best, time.perf_counter() - start)
    return best


def plain_scan(text: str) -> float:
    """The best of three passes of a pattern that visits each character once."""
    return seconds(_PLAIN_SCAN, "finditer", text)


def cases() -> Iterator[tuple[str, str, list[str]]]:
    for name, entry in PATTERNS.items():
        for number, given in enumerate(entry["inputs"]):
            yield pytest.param(name, entry["call"], given, id=f"{name}#{number}: {entry['attack']}")


@pytest.mark.parametrize(("name", "call", "given"), list(cases()))
def test_a_pattern_on_model_or_vault_text_runs_in_linear_time_on_input_built_to_slow_it(
    name: str, call: str, given: list[str]
) -> None:
    pattern = resolve(name)
    for length in (FIRST_LENGTH, LENGTH):
        text = hostile_text(*given, length)

        ratio = seconds(pattern, call, text) / plain_scan(text)

        assert ratio < RATIO, f"{name} took {ratio:.0f} x a plain scan of {length:,} hostile characters"


def module_patterns() -> dict[str, re.Pattern]:
    """Every compiled pattern a topicgen module holds at its top level, alone or in a tuple or dict."""
    found: dict[str, re.Pattern] = {}
    for path in sorted((REPO / "topicgen").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if "testing" in parts or parts[-1] == "__main__":
            continue
        module = ".".join(parts).removesuffix(".__init__")
        for attribute, value in vars(importlib.import_module(module)).items():
            items = (
                value.items()
                if isinstance(value, dict)
                else enumerate(value)
                if isinstance(value, tuple)
                else ()
            )
            if isinstance(value, re.Pattern):
                found[f"{module}:{attribute}"] = value
            for key, item in items:
                item = item[0] if isinstance(item, tuple) and item else item
                if isinstance(item, re.Pattern):
                    found[f"{module}:{attribute}[{key!r}]"] = item
    return found


def test_every_pattern_topicgen_holds_is_tested_here_or_exempt_with_a_reason() -> None:
    held = module_patterns()
    tested = [resolve(name) for name in PATTERNS]

    unlisted = [name for name, pattern in held.items() if name not in EXEMPT and pattern not in tested]

    assert unlisted == [], "list these patterns in tests/hostile/text/slow-patterns.json"
    assert set(EXEMPT) <= set(held) and all(EXEMPT.values())


def test_no_function_compiles_a_pattern_of_its_own_where_the_list_cannot_name_it() -> None:
    inline = []
    for path in sorted((REPO / "topicgen").rglob("*.py")):
        if "testing" in path.parts:
            continue
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            inline += [
                f"{path.relative_to(REPO)}:{node.lineno}"
                for node in ast.walk(function)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.args
                and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
            ]
    assert inline == [], "give these patterns a module-level name and list them"


# Scanners written in Python step once per token, not per character in C: a looser bound, still far
# below what a quadratic scan costs on 100,000 characters.
PYTHON_SCAN_RATIO = 50


@pytest.mark.parametrize("unit", ["`", "`a", "``a`", "\\`", "`\\", "a"])
def test_code_spans_are_found_in_linear_time_where_a_backtick_pattern_took_minutes(unit: str) -> None:
    from topicgen.page.drift import normalise
    from topicgen.page.markup import code_spans

    text = hostile_text("", unit, "", LENGTH)
    for work in (lambda: code_spans(text), lambda: normalise({"joke": text})):
        start = time.perf_counter()
        work()
        ratio = (time.perf_counter() - start) / plain_scan(text)
        assert ratio < PYTHON_SCAN_RATIO, f"{ratio:.0f} x a plain scan of {unit!r} repeated"


def test_the_key_finder_runs_in_linear_time_on_text_built_to_slow_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from topicgen.model import redact

    monkeypatch.setattr(redact, "_read_keys", {"tgtest-KEY-7c4f2a9e1b85d3"})
    for unit in ("tgtest-KEY-7c4f2a9e1b85d", "TGTEST-", "dGd0ZXN0LUtFWS03YzRmMmE5ZTFiODVk"):
        text = hostile_text("", unit, "", LENGTH)
        start = time.perf_counter()
        redact.echoed_key(text)
        ratio = (time.perf_counter() - start) / plain_scan(text)
        assert ratio < RATIO, f"echoed_key took {ratio:.0f} x a plain scan of {unit!r} repeated"

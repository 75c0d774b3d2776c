"""What topicgen found in genai-prices is remembered for the day and the installed data (model/price_memo).

Each test here stands in for genai-prices' lookup (``costs._look_up``) and its installed files
(``price_memo.package_identity``): none depends on the day's package, and every user folder is a
temporary one (tests/conftest.py, ``user_folders``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from topicgen.model import costs, price_memo
from topicgen.model.costs import Price, price_for

REPO = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 12, 6)
PACKAGE = ["0.2.5", "/site-packages/genai_prices", [["data.py", 1624122, 1], ["types.py", 45531, 1]]]
LUNA = Price(input=0.1, output=0.5, cached_input=0.01, cache_write=0.125)


class Lookups(list):
    """The lookups that reached genai-prices, and what it answers (model → (price, dated by day only))."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, tuple[Price | None, bool]] = {"gpt-6-luna": (LUNA, True)}

    def look_up(self, provider_id: str, model: str, batch: bool) -> tuple[Price | None, bool]:
        self.append((provider_id, model, batch))
        return self.answers.get(model, (None, True))


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Lookups:
    asked = Lookups()
    monkeypatch.setattr(costs, "_look_up", asked.look_up)
    monkeypatch.setattr(price_memo, "package_identity", lambda: PACKAGE)
    costs._genai_price.cache_clear()
    yield asked
    costs._genai_price.cache_clear()


def in_a_new_process(model: str = "gpt-6-luna", *, batch: bool = False, day: dt.date = DAY) -> Price | None:
    price_memo.save()  # as the last process ended
    costs._genai_price.cache_clear()  # what one process found it keeps; the memo is for the next one
    price_memo._read.clear()
    return costs._genai_price("openai", model, batch, day)


def test_a_price_found_once_is_found_again_without_genai_prices(lookups, user_folders):
    assert in_a_new_process() == LUNA
    assert in_a_new_process() == LUNA
    price_memo.save()
    assert lookups == [("openai", "gpt-6-luna", False)]
    memo = user_folders / "cache" / "topicgen" / "prices.json"
    assert memo.is_file() and oct(memo.stat().st_mode & 0o777) == "0o600"


def test_another_day_another_package_or_the_batch_price_is_looked_up_again(lookups, monkeypatch):
    in_a_new_process()
    in_a_new_process(day=DAY + dt.timedelta(days=1))  # prices are dated
    in_a_new_process(batch=True)
    monkeypatch.setattr(price_memo, "package_identity", lambda: [*PACKAGE[:2], [["data.py", 1624130, 2]]])
    in_a_new_process()  # genai-prices upgraded or reinstalled
    assert lookups == [
        ("openai", "gpt-6-luna", False),
        ("openai", "gpt-6-luna", False),
        ("openai", "gpt-6-luna", True),
        ("openai", "gpt-6-luna", False),
    ]


def test_no_price_is_an_answer_too_but_an_off_peak_price_is_never_kept(lookups):
    assert in_a_new_process("gpt-unknown") is None
    assert in_a_new_process("gpt-unknown") is None
    lookups.answers["deepseek-chat"] = (LUNA, False)  # a rate of the hour: depends on more than the day
    assert in_a_new_process("deepseek-chat") == LUNA
    assert in_a_new_process("deepseek-chat") == LUNA
    assert [model for _, model, _ in lookups] == ["gpt-unknown", "deepseek-chat", "deepseek-chat"]


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"stamp": 1, "prices": {}}',
        None,  # the right stamp, a price that is not one (a negative rate)
    ],
)
def test_a_memo_that_is_not_ours_or_not_right_is_an_empty_one(lookups, user_folders, text):
    memo = user_folders / "cache" / "topicgen" / "prices.json"
    memo.parent.mkdir(parents=True)
    if text is None:
        stamp = {"format": price_memo.FORMAT, "package": PACKAGE, "day": DAY.isoformat()}
        text = json.dumps({"stamp": stamp, "prices": {'["openai", "gpt-6-luna", "live"]': {"input": -1}}})
    memo.write_text(text, encoding="utf-8")
    assert in_a_new_process() == LUNA
    assert in_a_new_process() == LUNA
    assert len(lookups) == 1  # looked up once, then remembered over what was there


def test_a_memo_that_cannot_be_written_costs_only_a_lookup(lookups, user_folders):
    (user_folders / "cache").write_text("a file where the cache folder would be", encoding="utf-8")
    assert in_a_new_process() == LUNA
    assert in_a_new_process() == LUNA
    assert len(lookups) == 2


def test_the_suite_s_fixture_prices_never_reach_the_memo(user_folders):
    """conftest replaces ``costs.genai_price``, the memo's only caller: no test writes or reads it."""
    assert price_for("openai:gpt-6-luna") is not None
    assert not (user_folders / "cache").exists()


def test_only_prices_dated_by_day_are_kept():
    from genai_prices import types

    def model(prices, variants=None):
        return types.ModelInfo(
            id="m", match=types.ClauseEquals(equals="m"), prices=prices, price_variants=variants
        )

    flat = types.ModelPrice(input_mtok=1, output_mtok=2)
    dated = types.ConditionalPrice(
        constraint=types.StartDateConstraint(start_date=dt.date(2026, 1, 1)), prices=flat
    )
    hourly = types.TimeOfDateConstraint(start_time=dt.time(16, 30), end_time=dt.time(0, 30))
    assert costs._dated_only(model(flat))
    assert costs._dated_only(model([types.ConditionalPrice(prices=flat), dated]))
    assert not costs._dated_only(
        model([types.ConditionalPrice(prices=flat), types.ConditionalPrice(constraint=hourly, prices=flat)])
    )


def test_a_second_dry_run_does_not_load_genai_prices(vault):
    """Two processes, as a person runs them: the second finds the price the first found."""
    code = (
        "import json, sys\n"
        "import topicgen.cli\n"
        "sys.argv = ['topicgen', 'new', 'Graph Theory', '--dry-run', '--vault', sys.argv[1]]\n"
        "try:\n"
        "    topicgen.cli.main()\n"
        "finally:\n"
        "    sys.stderr.write('\\n' + json.dumps('genai_prices' in sys.modules))\n"
    )
    loaded = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code, str(vault)], capture_output=True, text=True, cwd=REPO, env=os.environ
        )
        assert done.returncode == 0, done.stderr[-2000:]
        loaded.append(json.loads(done.stderr.splitlines()[-1]))
    assert loaded == [True, False]

"""The pace policy: from the money forecast to the knobs the service reads.

The grant in these tests: USD 8.40 from 2026-11-22 for 30 days, so it expires on 2026-12-22 and
on 2026-11-27 (today) 25 days are left. Five days of use (11-23 .. 11-27) at `c` USD a day give a
burn of c per day (the window starts at the first day of use, today included), remaining
8.40 - 5c, and an overspend of c x 25 / (8.40 - 5c), worked out by hand below.
"""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from deepseek_fim.budget.grant import GrantConfig, GrantStatus, compute_grant
from deepseek_fim.budget.ledger import DayRow, Totals
from deepseek_fim.budget.pace import (
    STEPS,
    PaceBase,
    overspend,
    pace_for,
    pace_row,
    step_for,
)
from deepseek_fim.budget.payload import MAX_TEXT, budget_payload, status_text_for_grant
from deepseek_fim.budget.state import State
from deepseek_fim.settings import Settings, merge

NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)
TODAY = NOW.date()
START = date(2026, 11, 22)
BASE = PaceBase(debounce_ms=250, prefix_tokens=1500, suffix_tokens=500)


def _grant(per_day: str, *, days: int = 5, requests_per_day: int = 10) -> GrantStatus:
    cost = Decimal(per_day)
    rows = [
        DayRow(TODAY - timedelta(days=i), requests_per_day, 50_000, 50_000, 500, {"USD": cost})
        for i in range(days)
    ]
    totals = Totals(
        requests=requests_per_day * days,
        hit=50_000 * days,
        miss=50_000 * days,
        output=500 * days,
        cost_by_currency={"USD": cost * days},
    )
    return compute_grant(
        totals,
        rows,
        config=GrantConfig(start_date=START),
        grant_start=START,
        start_source="setting",
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("per_day", "ratio", "factor"),
    [
        # 0.20 x 25 / 7.40 = 0.676: lasts
        ("0.20", None, 1.0),
        # 0.30 x 25 / 6.90 = 1.087: the first step
        ("0.30", 1.087, 1.25),
        # 0.40 x 25 / 6.40 = 1.5625: just over 1.5
        ("0.40", 1.5625, 2.0),
        # 0.50 x 25 / 5.90 = 2.119
        ("0.50", 2.119, 3.0),
        # 1.00 x 25 / 3.40 = 7.35: capped at 4
        ("1.00", 7.353, 4.0),
    ],
)
def test_factor_follows_how_far_off_the_forecast_is(
    per_day: str, ratio: float | None, factor: float
) -> None:
    grant = _grant(per_day)
    measured = overspend(grant)
    if ratio is None:
        assert grant.forecast.kind == "lastsUntilExpiry" and measured is None
    else:
        assert grant.forecast.kind == "runsOut"
        assert measured == pytest.approx(ratio, abs=0.001)
    pace = pace_for(grant, "auto", BASE)
    assert pace.factor == factor
    assert pace.active is (factor > 1)


def test_knobs_are_proportional_and_bounded() -> None:
    knobs = {}
    for per_day in ("0.30", "0.40", "0.50", "1.00"):
        pace = pace_for(_grant(per_day), "auto", BASE)
        knobs[pace.factor] = (
            pace.mid_word_debounce_ms,
            pace.prefix_tokens,
            pace.suffix_tokens,
            pace.prefetch,
        )
    assert knobs == {
        # 250 + 250 x 0.25 (62.5, rounded half to even); 1500 / 1.25; 500 / 1.25
        1.25: (312, 1200, 400, False),
        2.0: (500, 750, 250, False),
        # prefix: 1500 / 3 = 500 is under its floor of 1500 x 0.5; suffix: 500 / 3 = 166.7
        3.0: (750, 750, 167, False),
        # suffix: 500 / 4 = 125, its floor of 500 x 0.25
        4.0: (1000, 750, 125, False),
    }


def test_the_delay_grows_mid_word_only() -> None:
    pace = pace_for(_grant("0.40"), "auto", BASE)  # factor 2: +250 ms mid-word
    assert pace.debounce_ms(250, mid_word=True) == 500
    assert pace.debounce_ms(250, mid_word=False) == 250
    assert pace.debounce_ms(0, mid_word=True) == 250  # an adaptive delay of 0 gets the extra too
    calm = pace_for(_grant("0.20"), "auto", BASE)
    assert calm.debounce_ms(250, mid_word=True) == 250


@pytest.mark.parametrize(
    ("grant", "reason"),
    [
        (_grant("0.20"), "the money lasts until the grant expires"),
        # 10 requests: too few to extrapolate, however fast they spend
        (_grant("3.00", days=1), "too little use yet to forecast"),
        # everything used: completions pause anyway; pacing has nothing to do
        (_grant("2.00", days=5), "the grant is used up"),
        (None, "no grant figures yet"),
    ],
)
def test_no_pacing_without_a_run_out_forecast(grant: GrantStatus | None, reason: str) -> None:
    pace = pace_for(grant, "auto", BASE)
    assert not pace.active and pace.factor == 1.0
    assert pace.reason == reason
    assert (pace.prefix_tokens, pace.suffix_tokens, pace.mid_word_extra_ms) == (1500, 500, 0)
    assert pace.prefetch is True


def test_off_never_paces() -> None:
    pace = pace_for(_grant("1.00"), "off", BASE)
    assert not pace.active
    assert (pace.prefix_tokens, pace.suffix_tokens, pace.mid_word_debounce_ms) == (1500, 500, 250)
    assert pace_row(pace) == "pacing is off (setting pace)"


def test_steps_keep_the_windows_still_while_the_burn_moves_a_little() -> None:
    # Every recorded request changes the burn rate; the windows must not follow it (a window
    # that moves its first line breaks the prefix cache).
    factors = {pace_for(_grant(f"0.{n}"), "auto", BASE).prefix_tokens for n in range(41, 48)}
    assert len(factors) == 1
    assert [step_for(r) for r in (0.5, 1.0, 1.01, 1.25, 1.3, 2.0, 2.01, 3.5, 99)] == [
        1.0,
        1.0,
        1.25,
        1.25,
        1.5,
        2.0,
        3.0,
        4.0,
        4.0,
    ]
    assert STEPS[-1] == 4.0


def test_why_and_how_in_words() -> None:
    pace = pace_for(_grant("0.40"), "auto", BASE)
    # 6.40 / 0.40 = 16 days: runs out 2026-12-13, 9 days before 2026-12-22
    assert pace.reason == (
        "at 0.40 USD/day the money runs out 2026-12-13, 9 days before the grant expires on "
        "2026-12-22"
    )
    row = pace_row(pace)
    assert row.startswith("spending less (x2): at 0.40 USD/day")
    assert "Mid-word delay 500 ms (setting 250), windows 750/250 tokens (settings 1500/500)" in row
    assert "context from other files 400 tokens (setting 800)" in row
    assert pace_row(pace_for(_grant("0.20"), "auto", BASE)) == (
        "not needed: the money lasts until the grant expires"
    )


def test_status_text_says_paced_and_stays_short() -> None:
    grant = _grant("0.40")
    text = status_text_for_grant(grant, paced=True)
    assert text == "DeepSeek $6.40 · 25d · paced"
    # 6.40 at the mix of 502,500 tokens for 2.00: 1,608,000 tokens
    assert status_text_for_grant(grant) == "DeepSeek $6.40 ≈1.6M tok·25d"  # 30 with spaces
    # a long amount in another currency still fits
    long = replace(grant, currency="EUR", remaining=Decimal("1234.5"))
    text = status_text_for_grant(long, paced=True)
    assert len(text) < MAX_TEXT and text.endswith("paced")


def test_payload_carries_the_pace_and_the_tooltip_explains_it() -> None:
    grant = _grant("0.40")
    pace = pace_for(grant, "auto", BASE)
    payload = budget_payload(grant, State.OK, now=NOW, pace=pace)
    assert payload["text"].endswith("paced")
    assert payload["pace"]["factor"] == 2.0
    assert payload["pace"]["settings"] == {
        "debounceMs": 250,
        "prefixTokens": 1500,
        "suffixTokens": 500,
        "contextTokens": 800,
    }
    # The context from other files shrinks with the factor, like the suffix (at most to 1/4).
    assert payload["pace"]["contextTokens"] == 400
    assert pace_for(_grant("1.00"), "auto", BASE).context_tokens == 200  # x4
    assert ["Pacing", pace_row(pace)] in payload["summary"]
    assert "Pacing: spending less (x2)" in payload["tooltip"]
    assert "'paced': the server spends less" in payload["tooltip"]
    # A state with its own text (exhausted, throttled, ...) keeps it.
    assert budget_payload(grant, State.OFFLINE, now=NOW, pace=pace)["text"] == ("DeepSeek offline")


def test_pace_setting_parses() -> None:
    assert Settings().pace == "auto"
    settings, problems = merge(Settings(), {"pace": "off"})
    assert settings.pace == "off" and problems == []
    settings, problems = merge(Settings(), {"pace": "slow"})
    assert settings.pace == "auto" and problems == ["pace: must be auto or off"]
    base = PaceBase.from_settings(Settings(debounce_ms=100, prefix_tokens=800, suffix_tokens=0))
    assert base == PaceBase(100, 800, 0)

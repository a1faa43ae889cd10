from datetime import date
from decimal import Decimal

from deepseek_fim.budget.daily import daily_json
from deepseek_fim.budget.grant import GrantConfig, compute_grant
from deepseek_fim.budget.ledger import DayRow, Totals

START = date(2026, 11, 20)


def _grant(rows: list[DayRow], today: date, tokens: int = 5_000_000):
    totals = Totals(
        requests=sum(r.requests for r in rows),
        hit=sum(r.hit for r in rows),
        miss=sum(r.miss for r in rows),
        output=sum(r.output for r in rows),
    )
    config = GrantConfig(tokens=tokens, start_date=START, days=30)
    return compute_grant(
        totals, rows, config=config, grant_start=START, start_source="setting", today=today
    )


def _row(day: int, hit: int, miss: int, output: int) -> DayRow:
    return DayRow(date(2026, 11, day), 1, hit, miss, output, {"USD": Decimal("0.001")})


def test_days_so_far_with_cumulative_totals_and_idle_days_filled():
    rows = [_row(20, 1000, 300, 20), _row(22, 0, 2000, 30)]
    daily = daily_json(_grant(rows, date(2026, 11, 23)), rows)
    assert daily["start"] == "2026-11-20"
    assert daily["end"] == "2026-12-19", "the last day the grant is valid"
    assert daily["today"] == "2026-11-23"
    assert daily["allowancePerDay"] == 166_667  # 5,000,000 / 30
    assert [(d["date"], d["total"], d["cumulative"]) for d in daily["days"]] == [
        ("2026-11-20", 1320, 1320),
        ("2026-11-21", 0, 1320),
        ("2026-11-22", 2030, 3350),
        ("2026-11-23", 0, 3350),
    ]
    assert daily["days"][0] | {} == {
        "date": "2026-11-20",
        "hit": 1000,
        "miss": 300,
        "output": 20,
        "total": 1320,
        "cumulative": 1320,
    }


def test_forecast_runs_from_today_at_the_burn_rate_to_the_last_day():
    rows = [_row(20, 1000, 300, 20), _row(22, 0, 2000, 30)]
    grant = _grant(rows, date(2026, 11, 23))
    daily = daily_json(grant, rows)
    # 3350 tokens over the 4 days since the first use: 837.5 a day, 26 days to 12-19
    assert grant.burn_rate_per_day == 837.5
    assert daily["forecast"] == [
        {"date": "2026-11-23", "cumulative": 3350},
        {"date": "2026-12-19", "cumulative": 3350 + 837.5 * 26},
    ]


def test_forecast_stops_at_the_run_out_date_and_the_grant():
    rows = [_row(20, 600_000, 0, 0), _row(21, 600_000, 0, 0)]
    grant = _grant(rows, date(2026, 11, 21), tokens=2_000_000)
    daily = daily_json(grant, rows)
    assert grant.run_out_on == date(2026, 11, 22)
    assert daily["forecast"] == [
        {"date": "2026-11-21", "cumulative": 1_200_000},
        {"date": "2026-11-22", "cumulative": 1_800_000},
    ]


def test_no_forecast_without_use_or_after_expiry():
    assert daily_json(_grant([], date(2026, 11, 23)), [])["forecast"] is None
    rows = [_row(20, 1000, 0, 0)]
    expired = daily_json(_grant(rows, date(2026, 12, 25)), rows)
    assert expired["forecast"] is None
    assert len(expired["days"]) == 30, "only the grant's own days"

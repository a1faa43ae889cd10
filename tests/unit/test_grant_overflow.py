"""A grant too large for a calendar: no run-out date instead of an OverflowError (issue 8)."""

from datetime import date

from deepseek_fim.budget.grant import run_out_date


def test_run_out_past_year_9999_is_no_date():
    today = date(2026, 11, 28)
    assert run_out_date(10**12, 1.0, today) is None
    assert run_out_date(10**12, 10**12 / 100, today) == date(2027, 3, 8)
    assert run_out_date(10**12, 1e-9, today) is None

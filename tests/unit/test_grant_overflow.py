"""A grant too large for a calendar: a forecast instead of an OverflowError (issue 8, defect 3)."""

from datetime import date
from decimal import Decimal

from deepseek_fim.budget.grant import Burn, forecast


def test_a_forecast_past_year_9999_lasts_until_expiry():
    today = date(2026, 11, 28)
    expires = date(2026, 12, 28)
    tiny_burn = Burn(Decimal("1e-9"), 1.0, True)
    assert forecast(Decimal(10**12), tiny_burn, today, expires).kind == "lastsUntilExpiry"
    heavy_burn = Burn(Decimal(10**12) / 10, 1.0, True)
    result = forecast(Decimal(10**12), heavy_burn, today, expires)
    assert result.kind == "runsOut"
    assert result.run_out_on == date(2026, 12, 8)

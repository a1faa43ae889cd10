import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from deepseek_fim.budget.grant import GrantConfig
from deepseek_fim.budget.ledger import LEDGER_FILE, Ledger
from deepseek_fim.budget.report import render_usage, run_usage_command, usage_json

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
START = date(2026, 11, 20)


def _clock() -> datetime:
    return NOW


def _fill(data_dir: Path) -> None:
    with Ledger(data_dir) as ledger:
        ledger.grant_start(START)
        for day, hit, miss, output, cost, outcome in [
            (20, 1000, 300, 20, "0.000120", "accepted"),
            (20, 1200, 100, 10, "0.000066", "shown"),
            (22, 0, 2000, 30, "0.0005726", "cancelled"),
        ]:
            ledger.record(
                model="deepseek-chat",
                hit=hit,
                miss=miss,
                output=output,
                cost=Decimal(cost),
                currency="USD",
                outcome=outcome,
                at=datetime(2026, 11, day, 9, tzinfo=UTC),
            )


def test_usage_json_hand_computed(tmp_path: Path) -> None:
    _fill(tmp_path)
    with Ledger(tmp_path) as ledger:
        data = usage_json(ledger, GrantConfig(), clock=_clock)
    assert data["usedTokens"] == 4660
    assert data["tokens"] == {"hit": 2200, "miss": 2400, "output": 60}
    assert data["cost"] == data["usedAmount"] == "0.0007586"
    assert (data["grantAmount"], data["currency"]) == ("8.4", "USD")
    assert data["remainingAmount"] == "8.3992414"  # 8.40 - 0.0007586
    # at the mix of the window: 8.3992414 x 4660 / 0.0007586 = 51,595,656.4
    assert data["remainingTokens"] == 51_595_656 and data["tokensBasis"] == "recent"
    assert data["remainingFrom"] == "ledger"
    assert data["grantStart"] == "2026-11-20" and data["grantStartSource"] == "firstRun"
    assert data["expiresOn"] == "2026-12-20" and data["daysLeft"] == 27
    # window 11-20..11-23 (grant start): 0.0007586 and 4660 tokens over 4 days
    assert data["burnRatePerDay"] == "0.00019" and data["burnTokensPerDay"] == 1165
    # three requests are too few to extrapolate (the old report said "runs out 2038-08-19")
    assert data["forecast"] == "tooLittleHistory" and data["runOutOn"] is None
    assert data["runsOutBeforeExpiry"] is None
    assert data["cacheHitRatio"] == round(2200 / 4600, 4)
    assert (data["requests"], data["shown"], data["accepted"]) == (3, 2, 1)
    assert data["acceptanceRate"] == 0.5
    assert [d["date"] for d in data["days"]] == [
        "2026-11-20",
        "2026-11-21",
        "2026-11-22",
        "2026-11-23",
    ]
    assert data["days"][0] == {
        "date": "2026-11-20",
        "requests": 2,
        "hit": 2200,
        "miss": 400,
        "output": 30,
        "cost": "0.000186",
    }
    assert data["days"][1]["requests"] == 0
    json.dumps(data)


def test_render_usage_text(tmp_path: Path) -> None:
    _fill(tmp_path)
    with Ledger(tmp_path) as ledger:
        text = render_usage(ledger, GrantConfig(), clock=_clock)
    assert "  Money left   8.3992 USD of 8.40 (100.0%), from the ledger's cost" in text
    assert "  Tokens left  ≈51.6M at your mix of the last 7 days (0.1628 USD per 1M tokens)" in text
    assert "  Used         0.0008 USD (the ledger, at the price table)" in text
    assert "  Tokens used  4,660 (2,200 cache hit, 2,400 cache miss, 60 output)" in text
    assert "2026-11-20 to 2026-12-20 (27 days left; start: first run)" in text
    assert "  Pace         0.0002 USD/day (≈1.17k tokens/day): too little use yet" in text
    assert "  Cache hits   47.8% of prompt tokens" in text
    assert "  Accepted     1 of 2 shown (50.0%); 3 requests" in text
    table = [line.split() for line in text.splitlines() if line.startswith("  2026-11-")]
    assert table[0] == ["2026-11-20", "2", "2,200", "400", "30", "0.0002"]
    assert table[1] == ["2026-11-21", "0", "0", "0", "0", "0"]
    assert len(table) == 4


def test_grant_options_from_the_command(tmp_path: Path) -> None:
    _fill(tmp_path)
    out = io.StringIO()
    code = run_usage_command(
        str(tmp_path),
        True,
        grant=GrantConfig(tokens=10_000, start_date=date(2026, 11, 22), days=5),
        out=out,
        clock=_clock,
    )
    data = json.loads(out.getvalue())
    assert code == 0
    # 10,000 tokens at USD 8.40 per 5M = 0.0168; 0.0005726 used on 11-22 leaves 0.0162274,
    # which at that day's mix (2030 tokens for 0.0005726) is 57,529 tokens
    assert (data["grantAmount"], data["amountSource"]) == ("0.0168", "tokens")
    assert data["usedTokens"] == 2030 and data["remainingAmount"] == "0.0162274"
    assert data["remainingTokens"] == 57_529
    assert data["grantStartSource"] == "setting"
    assert (data["expiresOn"], data["daysLeft"]) == ("2026-11-27", 4)


def test_missing_ledger_is_not_created(tmp_path: Path) -> None:
    data_dir = tmp_path / "never-ran"
    out = io.StringIO()
    assert run_usage_command(str(data_dir), True, out=out, clock=_clock) == 0
    data = json.loads(out.getvalue())
    assert data["usedTokens"] == 0 and data["remainingTokens"] == 5_000_000
    assert data["remainingAmount"] == "8.4" and data["tokensBasis"] == "advertised"
    assert data["ledger"] is None and data["grantStartSource"] == "today"
    assert data["burnRatePerDay"] is None and data["runOutOn"] is None
    assert len(data["days"]) == 1
    assert not data_dir.exists()
    text = io.StringIO()
    assert run_usage_command(str(data_dir), False, out=text, clock=_clock) == 0
    assert "no use yet" in text.getvalue()


def test_report_does_not_remember_a_first_run(tmp_path: Path) -> None:
    with Ledger(tmp_path):
        pass
    assert run_usage_command(str(tmp_path), False, out=io.StringIO(), clock=_clock) == 0
    with Ledger(tmp_path) as ledger:
        assert ledger.remembered_grant_start() is None


def test_unreadable_ledger_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / LEDGER_FILE).write_bytes(b"this is not a database" * 100)
    assert run_usage_command(str(tmp_path), False, out=io.StringIO(), clock=_clock) == 1
    assert "cannot read the ledger" in capsys.readouterr().err

from datetime import date
from decimal import Decimal
from pathlib import Path

from deepseek_fim.budget.grant import GrantConfig, GrantStatus, compute_grant
from deepseek_fim.budget.ledger import Ledger, Totals
from deepseek_fim.budget.state import State
from deepseek_fim.budget.thresholds import Threshold, claim_notices, reached

START = date(2026, 11, 20)


def _grant(used: int, today: date = date(2026, 11, 27), start: date = START) -> GrantStatus:
    return compute_grant(
        # `used` cache-miss tokens, priced so that their share of the USD 8.40 grant is their
        # share of the advertised 5M tokens (the thresholds are shares of money).
        Totals(miss=used, cost_by_currency={"USD": Decimal(used) * Decimal("8.40") / 5_000_000}),
        [],
        config=GrantConfig(),
        grant_start=start,
        start_source="setting",
        today=today,
    )


def test_reached() -> None:
    assert reached(_grant(2_499_999), State.OK) == []
    assert reached(_grant(2_500_000), State.OK) == [Threshold.USED_50]
    assert reached(_grant(4_750_000), State.LOW) == [
        Threshold.USED_50,
        Threshold.USED_80,
        Threshold.USED_95,
    ]
    assert reached(_grant(0), State.EXHAUSTED) == [Threshold.EXHAUSTED]
    assert reached(_grant(0, today=date(2026, 12, 17)), State.OK) == [Threshold.EXPIRING]
    assert reached(_grant(0, today=date(2026, 12, 16)), State.OK) == []
    assert reached(_grant(0, today=date(2026, 12, 20)), State.EXPIRED) == []


def test_each_crossing_fires_once(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        assert claim_notices(ledger, _grant(1_000_000), State.OK) == []
        first = claim_notices(ledger, _grant(2_600_000), State.OK)
        assert [n.threshold for n in first] == [Threshold.USED_50]
        assert "50%" in first[0].message and "4.03 USD left" in first[0].message
        assert first[0].severity == "info"
        assert claim_notices(ledger, _grant(2_700_000), State.OK) == []
        second = claim_notices(ledger, _grant(4_100_000), State.LOW)
        assert [n.threshold for n in second] == [Threshold.USED_80]
        assert second[0].severity == "warning"
        assert claim_notices(ledger, _grant(4_200_000), State.LOW) == []


def test_another_editor_or_a_restart_does_not_repeat(tmp_path: Path) -> None:
    with Ledger(tmp_path) as vscode, Ledger(tmp_path) as neovim:
        assert len(claim_notices(vscode, _grant(2_600_000), State.OK)) == 1
        assert claim_notices(neovim, _grant(2_600_000), State.OK) == []
    with Ledger(tmp_path) as restarted:
        assert claim_notices(restarted, _grant(2_600_000), State.OK) == []


def test_several_at_once_show_only_the_most_severe(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        notices = claim_notices(ledger, _grant(4_900_000), State.LOW)
        assert [n.threshold for n in notices] == [Threshold.USED_95]
        assert claim_notices(ledger, _grant(4_950_000), State.LOW) == []
        exhausted = claim_notices(ledger, _grant(5_000_000), State.EXHAUSTED)
        assert [n.threshold for n in exhausted] == [Threshold.EXHAUSTED]
        assert exhausted[0].severity == "error"
        assert "platform.deepseek.com" in exhausted[0].message
        assert claim_notices(ledger, _grant(5_000_000), State.EXHAUSTED) == []


def test_exhausted_by_402_with_local_figures_left(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        notices = claim_notices(ledger, _grant(10), State.EXHAUSTED)
        assert [n.threshold for n in notices] == [Threshold.EXHAUSTED]


def test_expiring_fires_once_and_with_used_level(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        notices = claim_notices(ledger, _grant(3_000_000, today=date(2026, 12, 18)), State.OK)
        assert [n.threshold for n in notices] == [Threshold.USED_50, Threshold.EXPIRING]
        assert "2026-12-20" in notices[1].message and "2 days left" in notices[1].message
        assert claim_notices(ledger, _grant(3_000_000, today=date(2026, 12, 19)), State.OK) == []


def test_a_new_grant_fires_again(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        assert len(claim_notices(ledger, _grant(2_600_000), State.OK)) == 1
        again = claim_notices(
            ledger, _grant(2_600_000, start=date(2027, 1, 5), today=date(2027, 1, 9)), State.OK
        )
        assert [n.threshold for n in again] == [Threshold.USED_50]

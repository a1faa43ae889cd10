import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from deepseek_fim.budget.grant import GrantConfig, GrantStatus, compute_grant
from deepseek_fim.budget.ledger import DayRow, SessionStats, Totals
from deepseek_fim.budget.payload import (
    KIND,
    BalanceView,
    LastCompletion,
    budget_payload,
    compact,
    decimal_text,
    money,
    payload_for,
    status_payload,
)
from deepseek_fim.budget.state import BudgetState, State

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
ARCHITECTURE_KEYS = {
    "state", "kind", "text", "tooltip", "message", "grantTokens", "usedTokens",
    "remainingTokens", "remainingRatio", "cost", "currency", "grantStart", "expiresOn",
    "daysLeft", "burnRatePerDay", "runOutOn", "cacheHitRatio", "balance", "lastCompletion",
    "retryAt",
}  # fmt: skip


def _grant(hit: int = 230_000, miss: int = 140_000, output: int = 10_123) -> GrantStatus:
    return compute_grant(
        Totals(
            requests=300,
            hit=hit,
            miss=miss,
            output=output,
            cost_by_currency={"USD": Decimal("0.04120")},
            shown=200,
            accepted=50,
        ),
        [
            DayRow(TODAY - timedelta(days=1), 100, 0, 54_000, 0, {}),
            DayRow(TODAY, 1, 0, 54_000, 0, {}),
        ],
        config=GrantConfig(),
        grant_start=date(2026, 11, 20),
        start_source="setting",
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1k"),
        (1234, "1.23k"),
        (1165, "1.17k"),  # half up, not half even
        (12_000, "12k"),
        (12_345, "12.3k"),
        (950_000, "950k"),
        (999_499, "999k"),
        (999_999, "1M"),
        (4_619_877, "4.62M"),
        (5_000_000, "5M"),
        (123_456_789, "123M"),
        (1_500_000_000, "1.5B"),
        (-12_000, "-12k"),
    ],
)
def test_compact(n: int, text: str) -> None:
    assert compact(n) == text


def test_decimal_and_money_text() -> None:
    assert decimal_text(Decimal("0.0412000")) == "0.0412"
    assert decimal_text(Decimal("1E+2")) == "100"
    assert decimal_text(Decimal("0.0000170")) == "0.000017"
    assert decimal_text(Decimal(0)) == "0"
    assert money(Decimal("0.041249")) == "0.0412"
    assert money(Decimal("0.0000170")) == "0.000017"
    assert money(Decimal(0)) == "0"


def test_ok_payload_matches_the_contract() -> None:
    payload = budget_payload(_grant(), State.OK, now=NOW)
    assert set(payload) == ARCHITECTURE_KEYS
    assert payload["state"] == "ok" and payload["kind"] == "Normal"
    assert payload["text"] == "DeepSeek 4.62M left · 23d"
    assert payload["message"] is None
    assert payload["grantTokens"] == 5_000_000
    assert payload["usedTokens"] == 380_123
    assert payload["remainingTokens"] == 4_619_877
    assert payload["remainingRatio"] == 0.924
    assert (payload["cost"], payload["currency"]) == ("0.0412", "USD")
    assert (payload["grantStart"], payload["expiresOn"], payload["daysLeft"]) == (
        "2026-11-20",
        "2026-12-20",
        23,
    )
    assert payload["burnRatePerDay"] == 54_000
    # 4,619,877 / 54,000 = 85.55 -> 85 days after 2026-11-27
    assert payload["runOutOn"] == "2027-02-20"
    assert payload["cacheHitRatio"] == round(230_000 / 370_000, 4)
    assert payload["balance"] is None and payload["lastCompletion"] is None
    assert payload["retryAt"] is None
    json.dumps(payload)  # JSON-ready


def test_tooltip_keeps_the_balance_apart() -> None:
    balance = BalanceView(
        True, Decimal("8.36"), Decimal("8.36"), Decimal("0.00"), "USD", NOW - timedelta(minutes=5)
    )
    payload = budget_payload(_grant(), State.OK, now=NOW, balance=balance)
    lines = payload["tooltip"].splitlines()
    assert lines[0] == "Used 380,123 of 5,000,000 tokens (7.6%); 4,619,877 left"
    assert "Cost so far: 0.0412 USD" in lines
    assert "Cache hits: 62.2% of prompt tokens" in lines
    assert "Grant: 2026-11-20 to 2026-12-20, 23 days left" in lines
    assert "Pace: 54k tokens/day: lasts until the grant expires on 2026-12-20" in lines
    assert lines[-1] == (
        "Account balance (DeepSeek, 2026-11-27T09:55:00Z): 8.36 USD "
        "(granted 8.36, topped up 0), calls allowed"
    )
    assert payload["balance"] == {
        "isAvailable": True,
        "total": "8.36",
        "granted": "8.36",
        "toppedUp": "0",
        "currency": "USD",
        "checkedAt": "2026-11-27T09:55:00Z",
    }


def test_tooltip_without_use() -> None:
    grant = compute_grant(
        Totals(),
        [],
        config=GrantConfig(),
        grant_start=TODAY,
        start_source="firstRun",
        today=TODAY,
    )
    tooltip = budget_payload(grant, State.OK, now=NOW)["tooltip"]
    assert "Pace: no use yet" in tooltip
    assert "(start: first run)" in tooltip
    assert "Cache hits" not in tooltip


@pytest.mark.parametrize(
    ("state", "text", "kind", "needs_message"),
    [
        (State.LOW, "DeepSeek 4.62M left · 23d", "Warning", False),
        (State.EXHAUSTED, "DeepSeek exhausted", "Error", True),
        (State.EXPIRED, "DeepSeek grant expired", "Warning", True),
        (State.NO_KEY, "DeepSeek: no key", "Error", True),
        (State.AUTH_FAILED, "DeepSeek: key rejected", "Error", True),
        (State.OFFLINE, "DeepSeek offline", "Warning", False),
        (State.DISABLED, "DeepSeek off", "Inactive", False),
        (State.EXCLUDED, "DeepSeek: file excluded", "Inactive", False),
    ],
)
def test_state_texts(state: State, text: str, kind: str, needs_message: bool) -> None:
    payload = budget_payload(_grant(), state, now=NOW)
    assert (payload["state"], payload["text"], payload["kind"]) == (state.value, text, kind)
    assert (payload["message"] is not None) == needs_message


def test_every_state_has_a_kind() -> None:
    assert set(KIND) == set(State)


def test_no_key_message_says_where_to_get_and_put_the_key() -> None:
    message = budget_payload(_grant(), State.NO_KEY, now=NOW)["message"]
    assert "https://platform.deepseek.com" in message
    assert "deepseekFim.apiKey" in message and "DEEPSEEK_API_KEY" in message


def test_throttled_text_counts_down() -> None:
    retry = NOW + timedelta(seconds=11.2)
    payload = budget_payload(_grant(), State.THROTTLED, now=NOW, retry_at=retry)
    assert payload["text"] == "DeepSeek throttled 12s"
    assert payload["retryAt"] == "2026-11-27T10:00:11Z"
    assert payload["kind"] == "Warning"
    assert budget_payload(_grant(), State.THROTTLED, now=NOW)["text"] == "DeepSeek throttled"


def test_last_completion() -> None:
    last = LastCompletion(1280, 70, 12, Decimal("0.0000170"), 420)
    assert budget_payload(_grant(), State.OK, now=NOW, last=last)["lastCompletion"] == {
        "hit": 1280,
        "miss": 70,
        "output": 12,
        "cost": "0.000017",
        "latencyMs": 420,
    }


@dataclass(frozen=True)
class Info:
    currency: str
    total: Decimal
    granted: Decimal
    topped_up: Decimal


def test_balance_view_picks_the_currency() -> None:
    infos = [
        Info("CNY", Decimal("60"), Decimal("60"), Decimal(0)),
        Info("USD", Decimal("8.4"), Decimal("8.4"), Decimal(0)),
    ]
    assert BalanceView.from_balance(True, infos, NOW).currency == "USD"
    assert BalanceView.from_balance(True, infos[:1], NOW).total == Decimal(60)
    empty = BalanceView.from_balance(False, [], NOW)
    assert (empty.is_available, empty.total, empty.currency) == (False, Decimal(0), "USD")


def test_status_payload_adds_session_and_days() -> None:
    payload = budget_payload(_grant(), State.OK, now=NOW)
    stats = SessionStats(10, 2, 1, 6, 3, 900, 100, 310, 780)
    days = [DayRow(TODAY, 4, 10, 20, 3, {"USD": Decimal("0.0125")})]
    status = status_payload(payload, stats, days)
    assert status["session"] == {
        "requests": 10,
        "cancelled": 2,
        "errors": 1,
        "shown": 6,
        "accepted": 3,
        "acceptanceRate": 0.5,
        "cacheHitRatio": 0.9,
        "latencyP50Ms": 310,
        "latencyP95Ms": 780,
    }
    assert status["days"] == [
        {"date": "2026-11-27", "requests": 4, "hit": 10, "miss": 20, "output": 3, "cost": "0.0125"}
    ]
    assert "session" not in payload
    json.dumps(status)


def test_payload_for_a_state_machine() -> None:
    machine = BudgetState(clock=lambda: NOW, rng=lambda: 1.0)
    with pytest.raises(ValueError):
        payload_for(machine, now=NOW)
    machine.on_grant(_grant())
    machine.on_error(429)
    payload = payload_for(machine, now=NOW)
    assert (payload["state"], payload["text"]) == ("throttled", "DeepSeek throttled 1s")
    assert payload_for(machine, now=NOW, document=State.EXCLUDED)["state"] == "excluded"


def test_pace_says_how_much_earlier_the_grant_runs_out() -> None:
    from dataclasses import replace
    from datetime import date

    from deepseek_fim.budget.payload import pace_text

    grant = replace(
        _grant(),
        burn_rate_per_day=500_000.0,
        run_out_on=date(2026, 12, 5),
        expires_on=date(2026, 12, 20),
    )
    assert pace_text(grant) == (
        "500k tokens/day: runs out 2026-12-05, 15 days before the grant expires"
    )
    assert pace_text(replace(grant, burn_rate_per_day=None, run_out_on=None)) == "no use yet"

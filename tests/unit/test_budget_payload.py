import itertools
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from deepseek_fim.budget.grant import GrantConfig, GrantStatus, compute_grant
from deepseek_fim.budget.ledger import DayRow, SessionStats, Totals
from deepseek_fim.budget.numbers import (
    amount_text,
    compact,
    compact2,
    decimal_text,
    money,
    short_money,
)
from deepseek_fim.budget.payload import (
    KIND,
    BalanceView,
    LastCompletion,
    budget_payload,
    pace_text,
    payload_for,
    status_payload,
    status_text_for_grant,
)
from deepseek_fim.budget.state import BudgetState, State

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
ARCHITECTURE_KEYS = {
    "state", "kind", "text", "tooltip", "message", "currency", "grantAmount", "amountSource",
    "usedAmount", "remainingAmount", "remainingRatio", "remainingFrom", "reconciliation", "cost",
    "grantTokens", "usedTokens", "remainingTokens", "tokensBasis", "pricePerMillion",
    "grantStart", "expiresOn", "daysLeft", "burnRatePerDay", "burnTokensPerDay", "forecast",
    "runOutOn", "paceText", "cacheHitRatio", "priceCheck", "summary", "balance",
    "lastCompletion", "retryAt", "aborted", "pace",
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
            DayRow(TODAY - timedelta(days=1), 100, 0, 54_000, 0, {"USD": Decimal("0.02")}),
            DayRow(TODAY, 1, 0, 54_000, 0, {"USD": Decimal("0.02")}),
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
    # 8.40 - 0.0412 = 8.3588 left; recent mix 0.04 per 108,000 tokens -> 22,568,760 tokens
    assert payload["text"] == "DeepSeek $8.36 ≈23M tok · 23d"
    assert payload["message"] is None
    assert (payload["grantAmount"], payload["currency"]) == ("8.4", "USD")
    assert (payload["usedAmount"], payload["remainingAmount"]) == ("0.0412", "8.3588")
    assert payload["remainingRatio"] == round(8.3588 / 8.4, 4)
    assert payload["remainingFrom"] == "ledger" and payload["reconciliation"] is None
    assert payload["cost"] == "0.0412"
    assert payload["grantTokens"] == 5_000_000
    assert payload["usedTokens"] == 380_123
    assert payload["remainingTokens"] == 22_568_760
    assert payload["tokensBasis"] == "recent"
    assert payload["pricePerMillion"] == "0.37037"  # 0.04 / 0.108
    assert (payload["grantStart"], payload["expiresOn"], payload["daysLeft"]) == (
        "2026-11-20",
        "2026-12-20",
        23,
    )
    assert payload["burnRatePerDay"] == "0.02"
    assert payload["burnTokensPerDay"] == 54_000
    # 8.3588 / 0.02 = 418 days: past the expiry, so no run-out date
    assert (payload["forecast"], payload["runOutOn"]) == ("lastsUntilExpiry", None)
    assert payload["paceText"] == (
        "0.02 USD/day (≈54k tokens/day): lasts until the grant expires on 2026-12-20"
    )
    assert payload["cacheHitRatio"] == round(230_000 / 370_000, 4)
    assert payload["balance"] is None and payload["lastCompletion"] is None
    assert payload["retryAt"] is None and payload["priceCheck"] is None
    labels = [label for label, _ in payload["summary"]]
    assert labels == [
        "Money left", "Tokens left", "Used", "Tokens used", "Cache hits", "Grant", "Pace"
    ]  # fmt: skip
    json.dumps(payload)  # JSON-ready


def test_tooltip_says_which_figure_is_which() -> None:
    balance = BalanceView(
        True, Decimal("8.36"), Decimal("8.36"), Decimal("0.00"), "USD", NOW - timedelta(minutes=5)
    )
    payload = budget_payload(_grant(), State.OK, now=NOW, balance=balance)
    lines = payload["tooltip"].splitlines()
    assert lines[0] == (
        "Money left: 8.3588 USD of 8.40 (99.5%), from the ledger's cost at the price table "
        "(no balance read from DeepSeek yet)"
    )
    assert lines[1] == (
        "Tokens left: ≈22.6M at your mix of the last 7 days (0.3704 USD per 1M tokens)"
    )
    assert "Used: 0.0412 USD (the ledger, at the price table)" in lines
    assert "Tokens used: 380,123 (230,000 cache hit, 140,000 cache miss, 10,123 output)" in lines
    assert "Cache hits: 62.2% of prompt tokens" in lines
    assert (
        "Grant: 8.40 USD, advertised as 5,000,000 tokens; 2026-11-20 to 2026-12-20 "
        "(23 days left)" in lines
    )
    assert lines[-2] == (
        "Account balance (DeepSeek, 2026-11-27T09:55:00Z): 8.36 USD "
        "(granted 8.36, topped up 0), calls allowed"
    )
    assert lines[-1].startswith("Status bar: money left · ≈ that money in tokens")
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
    payload = budget_payload(grant, State.OK, now=NOW)
    assert payload["text"] == "DeepSeek $8.40 ≈5M tok · 30d"
    tooltip = payload["tooltip"]
    assert "Pace: no use yet" in tooltip
    assert "(30 days left; start: first run)" in tooltip
    assert "Tokens left: ≈5M at the advertised 5,000,000 tokens per 8.40 USD" in tooltip
    assert "Cache hits: -" in tooltip


@pytest.mark.parametrize(
    ("state", "text", "kind", "needs_message"),
    [
        (State.LOW, "DeepSeek $8.36 ≈23M tok · 23d", "Warning", False),
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
        "promptHitTokens": 900,
        "promptMissTokens": 100,
        "latencyP50Ms": 310,
        "latencyP95Ms": 780,
        "possiblyBilled": 0,
        "possiblyBilledPromptTokens": 0,
        "paced": 0,
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


def test_pace_texts() -> None:
    from dataclasses import replace

    from deepseek_fim.budget.grant import Forecast

    grant = replace(
        _grant(),
        burn_rate_per_day=Decimal("0.5"),
        burn_tokens_per_day=2_000_000.0,
        forecast=Forecast("runsOut", date(2026, 12, 5)),
    )
    assert pace_text(grant) == (
        "0.50 USD/day (≈2M tokens/day): runs out 2026-12-05, 15 days before the grant "
        "expires on 2026-12-20"
    )
    assert pace_text(replace(grant, forecast=Forecast("tooLittleHistory"))) == (
        "0.50 USD/day (≈2M tokens/day): too little use yet to forecast (needs 20 requests "
        "over two days)"
    )
    assert pace_text(replace(grant, forecast=Forecast("noRecentUse"))) == (
        "no use in the last 7 days"
    )
    assert pace_text(replace(grant, forecast=Forecast("noUse"))) == "no use yet"
    assert pace_text(replace(grant, forecast=Forecast("exhausted", TODAY))) == (
        "the grant is used up"
    )


def test_amount_and_short_money() -> None:
    assert amount_text(Decimal("8.3700")) == "8.37"
    assert amount_text(Decimal("8.4")) == "8.40"
    assert amount_text(Decimal("0.027174")) == "0.0272"
    assert amount_text(Decimal("0.0000017")) == "0.000002"
    assert amount_text(Decimal(3)) == "3.00"
    assert short_money(Decimal("8.3728"), "USD") == "$8.37"
    assert short_money(Decimal("10.549"), "USD") == "$10.5"
    assert short_money(Decimal("104.6"), "USD") == "$105"
    assert short_money(Decimal("1234"), "USD") == "$1.2k"
    assert short_money(Decimal("0.001"), "USD") == "$0.00"
    assert short_money(Decimal("58.1"), "CNY") == "¥58.1"
    assert short_money(Decimal("5"), "EUR") == "5.00 EUR"


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0"), (999, "999"), (1234, "1.2k"), (66_892_637, "67M"), (123_456_789, "120M"),
     (1_250_000_000, "1.3B"), (999_999, "1M")],
)  # fmt: skip
def test_compact2(n: int, text: str) -> None:
    assert compact2(n) == text


def test_status_text_is_always_under_30_characters() -> None:
    from dataclasses import replace

    # Every boundary where a figure gains a character: money, tokens, days, currencies.
    amounts = ["0", "0.004", "0.005", "9.994", "9.995", "9.999", "10", "99.94", "99.95", "999.4",
               "999.5", "1000", "12345.6", "999999", "1000000000"]  # fmt: skip
    tokens = [0, 999, 9_999, 99_999, 999_499, 999_999, 9_990_000, 99_500_000, 999_000_000,
              9_950_000_000, 99_500_000_000, 10**12, 10**15]  # fmt: skip
    days = [0, 9, 30, 99, 100, 3650]
    base = _grant()
    for amount, count, day, currency in itertools.product(
        amounts, tokens, days, ["USD", "CNY", "EUR"]
    ):
        grant = replace(
            base,
            remaining=Decimal(amount),
            remaining_tokens=count,
            days_left=day,
            currency=currency,
        )
        text = status_text_for_grant(grant)
        assert len(text) < 30, text
        assert text.startswith("DeepSeek ")

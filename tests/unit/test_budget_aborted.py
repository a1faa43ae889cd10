"""Requests aborted after they were sent: the ledger's estimate, its price, and what it explains.

Prices per 1M tokens from shared/deepseek-api.md (V4-Flash: hit 0.0028, miss 0.14, output 0.28);
expected figures are worked out by hand in the comments.
"""

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from deepseek_fim.budget.grant import GrantConfig, compute_grant
from deepseek_fim.budget.ledger import (
    MIGRATIONS,
    BalanceCheck,
    DayRow,
    Ledger,
    PossiblyBilled,
    Totals,
)
from deepseek_fim.budget.payload import budget_payload, summary_rows
from deepseek_fim.budget.state import State
from deepseek_fim.budget_tracker import BudgetTracker
from deepseek_fim.deepseek import DeepSeekClient, FimRequest, SendProgress
from deepseek_fim.settings import Settings
from deepseek_fim.testing.fake_deepseek import FakeDeepSeek

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
START = date(2026, 11, 20)
V4_FLASH = {"hit": "0.0028", "miss": "0.14", "output": "0.28", "currency": "USD"}


def _v2_row(ledger: Ledger, ts: str, outcome: str, hit: int, miss: int, cost: str) -> None:
    """A row as the schema-2 release wrote it."""
    femto = int(Decimal(cost) * Decimal(10) ** 15)
    ledger._conn.execute(
        "INSERT INTO usage (ts, model, hit, miss, output, cost, cost_fe, currency, outcome) "
        "VALUES (?, 'deepseek-v4-flash', ?, ?, 0, ?, ?, 'USD', ?)",
        (ts, hit, miss, cost, femto, outcome),
    )


def test_a_schema_2_ledger_migrates_without_losing_a_row(tmp_path: Path) -> None:
    with Ledger(tmp_path, migrations=MIGRATIONS[:2]) as v2:
        v2.grant_start(START)
        _v2_row(v2, "2026-11-26T09:00:00.000000Z", "shown", 1000, 200, "0.0000308")
        _v2_row(v2, "2026-11-26T09:01:00.000000Z", "cancelled", 0, 0, "0")
        _v2_row(v2, "2026-11-27T08:00:00.000000Z", "accepted", 500, 100, "0.0000154")
        v2.record_balance(
            BalanceCheck(NOW, "USD", True, Decimal("8.40"), Decimal("8.40"), Decimal(0))
        )
        assert v2.schema_version == 2
    with Ledger(tmp_path, clock=lambda: NOW) as v3:
        assert v3.schema_version == 3
        after = v3.totals()
        # Every row and every sum is still there; the old cancelled row has no estimate.
        assert (after.requests, after.cancelled, after.hit, after.miss) == (3, 1, 1500, 300)
        assert after.cost_by_currency == {"USD": Decimal("0.0000462")}
        assert (after.possibly_billed, after.est_prompt, after.est_cost_by_currency) == (0, 0, {})
        assert v3.latest_balance("USD", since=NOW - timedelta(days=1)) is not None
        assert v3.remembered_grant_start() == START
        # A new aborted row adds its estimate apart from the measured sums, in both paths
        # (the per-day table and the rows themselves).
        v3.record(
            model="deepseek-v4-flash",
            hit=0,
            miss=0,
            output=0,
            cost=Decimal(0),
            currency="USD",
            outcome="cancelled",
            possibly_billed=PossiblyBilled(18_000, Decimal("0.00252")),
            paced=True,
        )
        for totals in (v3.totals(), v3.totals(since=NOW - timedelta(days=2))):
            assert (totals.requests, totals.cancelled, totals.tokens) == (4, 2, 1800)
            assert totals.cost_by_currency == {"USD": Decimal("0.0000462")}
            assert (totals.possibly_billed, totals.est_prompt) == (1, 18_000)
            assert totals.est_cost_by_currency == {"USD": Decimal("0.00252")}


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[BudgetTracker]:
    settings = Settings(
        data_dir=str(tmp_path),
        api_key="sk-fake-unit-key",
        prices={"deepseek-v4-flash": V4_FLASH},
    )
    budget = BudgetTracker(settings, on_change=lambda: None, clock=lambda: NOW)
    yield budget
    budget.close()


def test_a_sent_abort_is_priced_as_cache_misses(tracker: BudgetTracker) -> None:
    tracker.record_cancelled("deepseek-v4-flash", 120, sent_prompt_tokens=18_000, paced=True)
    tracker.record_cancelled("deepseek-v4-flash", 30, sent_prompt_tokens=None)
    ledger = tracker._ledger
    sent, unsent = (ledger.record_by_id(i) for i in (1, 2))
    assert sent is not None and unsent is not None
    # 18,000 x 0.14 / 1M = 0.00252 USD (all misses: the upper bound)
    assert (sent["possibly_billed"], sent["est_prompt"], sent["paced"]) == (1, 18_000, 1)
    assert Decimal(sent["est_cost_fe"]) / Decimal(10) ** 15 == Decimal("0.00252")
    assert (sent["hit"], sent["miss"], sent["cost"], sent["outcome"]) == (0, 0, "0", "cancelled")
    # Cancelled before its body was written: nothing can have been billed.
    assert (unsent["possibly_billed"], unsent["est_prompt"], unsent["est_cost_fe"]) == (0, 0, 0)
    payload = tracker.payload()
    assert payload["aborted"] == {"requests": 1, "promptTokens": 18_000, "costAtMost": "0.00252"}
    assert payload["cost"] == "0"  # the bound is not counted as used
    assert [
        "Aborted",
        "1 request, ≈18k prompt tokens possibly billed, ≤ 0.0025 USD (estimated, priced as "
        "cache misses; not in Used: only the balance shows what was billed)",
    ] in payload["summary"]
    stats = tracker.status_payload()["session"]
    assert (stats["possiblyBilled"], stats["possiblyBilledPromptTokens"]) == (1, 18_000)
    assert (stats["cancelled"], stats["paced"]) == (2, 1)


def _reconciled(unrecorded: str, bound: str):
    """A period with 0.10 recorded, 0.10 + `unrecorded` used by the balance, `bound` aborted."""
    ledger_cost = Decimal("0.10")
    granted = Decimal("8.40") - ledger_cost - Decimal(unrecorded)
    totals = Totals(
        requests=30,
        miss=700_000,
        cost_by_currency={"USD": ledger_cost},
        possibly_billed=12,
        est_prompt=18_000,
        est_cost_by_currency={"USD": Decimal(bound)} if Decimal(bound) else {},
    )
    return compute_grant(
        totals,
        [DayRow(TODAY, 30, 0, 700_000, 0, {"USD": ledger_cost})],
        config=GrantConfig(),
        grant_start=START,
        start_source="setting",
        today=TODAY,
        balance=BalanceCheck(NOW, "USD", True, granted, granted, Decimal(0)),
    )


@pytest.mark.parametrize(
    ("unrecorded", "bound", "explained", "unexplained"),
    [
        ("0.004", "0.0025", "0.0025", "0.0015"),  # the bound explains part of the gap
        ("0.001", "0.0025", "0.001", "0"),  # all of it
        ("0", "0.0025", "0", "0"),  # the balance agrees with the ledger: nothing to explain
        ("0.004", "0", "0", "0.004"),  # no aborted request
    ],
)
def test_reconciliation_explains_the_gap_with_the_aborted_bound(
    unrecorded: str, bound: str, explained: str, unexplained: str
) -> None:
    grant = _reconciled(unrecorded, bound)
    rec = grant.reconciliation
    assert rec is not None
    assert rec.unrecorded == Decimal(unrecorded)
    assert rec.possibly_billed == Decimal(bound)
    assert rec.explained_by_aborted == Decimal(explained)
    assert rec.unexplained == Decimal(unexplained)
    # Used is the balance's word, never the ledger plus a guess.
    assert grant.used == Decimal("0.10") + Decimal(unrecorded)
    payload = budget_payload(grant, State.OK, now=NOW)
    assert payload["reconciliation"]["explainedByAborted"] == explained
    [used] = [text for label, text in summary_rows(grant) if label == "Used"]
    mentions = "aborted requests may account for up to" in used
    assert mentions is (Decimal(explained) > 0)


def test_the_aborted_row_reads_as_the_issue_asks() -> None:
    grant = _reconciled("0.004", "0.0025")
    [row] = [text for label, text in summary_rows(grant) if label == "Aborted"]
    assert row.startswith("12 requests, ≈18k prompt tokens possibly billed, ≤ 0.0025 USD")
    none = compute_grant(
        Totals(requests=3, miss=900),
        [],
        config=GrantConfig(),
        grant_start=START,
        start_source="setting",
        today=TODAY,
    )
    assert "Aborted" not in [label for label, _ in summary_rows(none)]


REQ = FimRequest("deepseek-flash", "def add(a, b):\n    ", "\n", 16, 0.0, ())


async def test_send_progress_marks_a_request_whose_body_reached_the_api() -> None:
    with FakeDeepSeek(completion="return a + b", latency_ms=2000) as fake:
        client = DeepSeekClient(fake.url, "sk-fake-unit-key", timeout=5.0)
        try:
            # Cancelled before it ran at all: never sent.
            never = SendProgress()
            task = asyncio.ensure_future(client.complete(REQ, never))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert never.body_sent is False
            # Cancelled while the fake waits: it had the whole body.
            sent = SendProgress()
            task = asyncio.ensure_future(client.complete(REQ, sent))
            await fake.wait_for_requests_async(1, timeout=5, finished=False)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert sent.body_sent is True
            await fake.wait_for_disconnect_async(timeout=5)
            # Answered: sent too (and without a progress object, nothing changes).
            fake.configure(latency_ms=0)
            done = SendProgress()
            assert (await client.complete(REQ, done)).text == "return a + b"
            assert done.body_sent is True
            assert (await client.complete(REQ)).text == "return a + b"
        finally:
            await client.aclose()


def test_an_accept_for_an_unknown_id_logs_one_line_whatever_the_id(
    tracker: BudgetTracker, caplog: pytest.LogCaptureFixture
) -> None:
    # The id comes from the client: a line break in it must not forge a second log line.
    tracker.accepted("abc\n2026-12-07 WARNING forged", None)
    [record] = [r for r in caplog.records if "unknown completion" in r.getMessage()]
    assert "\n" not in record.getMessage()

import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from deepseek_fim.budget.ledger import (
    LEDGER_FILE,
    MIGRATIONS,
    BalanceCheck,
    Ledger,
    LedgerError,
    Outcome,
    percentile,
)

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _record(ledger: Ledger, **kw: object) -> int:
    args: dict[str, object] = {
        "model": "deepseek-chat",
        "hit": 0,
        "miss": 0,
        "output": 0,
        "cost": Decimal(0),
        "currency": "USD",
        "outcome": "shown",
    }
    args.update(kw)
    return ledger.record(**args)  # type: ignore[arg-type]


def test_creates_dir_and_wal_file(tmp_path: Path) -> None:
    data = tmp_path / "a" / "b"
    with Ledger(data) as ledger:
        assert ledger.path == data / LEDGER_FILE
        assert ledger.path.exists()
        assert ledger.schema_version == len(MIGRATIONS) == 2
        assert ledger.get_meta("schema_version") == "2"
        # NORMAL = 1 (per connection)
        assert ledger._conn.execute("PRAGMA synchronous").fetchone()[0] == 1
        assert ledger._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    conn = sqlite3.connect(data / LEDGER_FILE)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_record_round_trip(tmp_path: Path) -> None:
    with Ledger(tmp_path, clock=Clock()) as ledger:
        rid = ledger.record(
            model="deepseek-chat",
            hit=1280,
            miss=70,
            output=12,
            cost=Decimal("0.00006048"),
            currency="USD",
            outcome=Outcome.SHOWN,
            latency_ms=420,
            request_id="r1",
            session_id="s1",
        )
        row = ledger.record_by_id(rid)
    assert row is not None
    assert row["ts"] == "2026-11-20T09:30:00.000000Z"
    assert (row["hit"], row["miss"], row["output"]) == (1280, 70, 12)
    assert row["cost"] == "0.00006048"
    assert row["cost_fe"] == 60_480_000_000
    assert row["outcome"] == "shown"
    assert (row["latency_ms"], row["request_id"], row["session_id"]) == (420, "r1", "s1")
    assert row["error"] is None


def test_record_error_with_text(tmp_path: Path) -> None:
    with Ledger(tmp_path, clock=Clock()) as ledger:
        rid = _record(ledger, outcome="error", error="HTTP 503 overloaded")
        row = ledger.record_by_id(rid)
    assert row is not None and row["error"] == "HTTP 503 overloaded"


def test_invalid_outcome_and_naive_time_are_refused(tmp_path: Path) -> None:
    with Ledger(tmp_path, clock=Clock()) as ledger:
        with pytest.raises(ValueError):
            _record(ledger, outcome="maybe")
        with pytest.raises(ValueError, match="aware"):
            _record(ledger, at=datetime(2026, 1, 1))
        assert ledger.totals().requests == 0


def test_set_outcome(tmp_path: Path) -> None:
    with Ledger(tmp_path, clock=Clock()) as ledger:
        rid = _record(ledger)
        assert ledger.set_outcome(rid, "accepted", accepted_chars=17)
        assert ledger.set_outcome(rid, Outcome.ACCEPTED)  # a second partial accept, no count
        row = ledger.record_by_id(rid)
        assert row is not None
        assert (row["outcome"], row["accepted_chars"]) == ("accepted", 17)
        assert not ledger.set_outcome(rid + 100, "accepted")


def test_totals_since_a_day_hand_computed(tmp_path: Path) -> None:
    with Ledger(tmp_path, clock=Clock()) as ledger:
        _record(ledger, hit=999, miss=999, output=999, at=T0 - timedelta(days=1))  # before
        _record(ledger, hit=100, miss=20, output=3, cost=Decimal("0.1"), outcome="accepted")
        _record(ledger, hit=50, miss=10, output=2, cost=Decimal("0.2"), outcome="shown")
        _record(ledger, miss=5, cost=Decimal("0.0000001"), outcome="cancelled")
        _record(ledger, outcome="error", error="x")
        _record(ledger, miss=7, output=1, outcome="dropped", cost=Decimal(1), currency="CNY")
        totals = ledger.totals(since=T0.date())
    assert totals.requests == 5
    assert (totals.hit, totals.miss, totals.output) == (150, 42, 6)
    assert totals.tokens == 198
    assert totals.cost_by_currency == {"USD": Decimal("0.3000001"), "CNY": Decimal(1)}
    assert (totals.shown, totals.accepted) == (2, 1)
    assert (totals.cancelled, totals.errors, totals.dropped) == (1, 1, 1)
    assert totals.cache_hit_ratio == pytest.approx(150 / 192)
    assert totals.acceptance_rate == 0.5


def test_totals_since_a_moment_and_until(tmp_path: Path) -> None:
    with Ledger(tmp_path, clock=Clock()) as ledger:
        _record(ledger, output=1, at=T0)
        _record(ledger, output=10, at=T0 + timedelta(seconds=1))
        _record(ledger, output=100, at=T0 + timedelta(days=1))
        assert ledger.totals(since=T0 + timedelta(microseconds=1)).output == 110
        assert ledger.totals(since=T0.date(), until=T0.date() + timedelta(days=1)).output == 11
        assert ledger.totals().output == 111


def test_empty_totals(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        totals = ledger.totals()
    assert totals.requests == 0 and totals.tokens == 0
    assert totals.cost_by_currency == {}
    assert totals.cache_hit_ratio is None and totals.acceptance_rate is None


def test_per_day_includes_idle_days(tmp_path: Path) -> None:
    with Ledger(tmp_path, clock=Clock()) as ledger:
        _record(ledger, hit=1, miss=2, output=3, cost=Decimal("0.5"), at=T0)
        _record(ledger, hit=1, at=T0.replace(hour=23, minute=59, second=59))
        _record(ledger, output=4, cost=Decimal("0.25"), at=T0 + timedelta(days=2))
        _record(ledger, output=1000, at=T0 + timedelta(days=5))  # after the range
        rows = ledger.per_day(T0.date(), T0.date() + timedelta(days=2))
    assert [r.day for r in rows] == [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]
    assert [(r.requests, r.hit, r.miss, r.output) for r in rows] == [
        (2, 2, 2, 3),
        (0, 0, 0, 0),
        (1, 0, 0, 4),
    ]
    assert rows[0].cost_by_currency == {"USD": Decimal("0.5")}
    assert rows[1].cost_by_currency == {}
    assert rows[2].tokens == 4


def test_session_stats_and_percentiles(tmp_path: Path) -> None:
    with Ledger(tmp_path, clock=Clock()) as ledger:
        for i in range(1, 21):
            _record(ledger, session_id="s", latency_ms=i * 100, hit=i, miss=1)
        ids = [_record(ledger, session_id="s", outcome="cancelled") for _ in range(3)]
        _record(ledger, session_id="s", outcome="error", latency_ms=99_999)
        _record(ledger, session_id="other", latency_ms=5)
        ledger.set_outcome(ids[0], "cancelled")
        first = ledger.totals().requests
        ledger.set_outcome(1, "accepted")
        stats = ledger.session_stats("s")
    assert first == 25
    assert (stats.requests, stats.cancelled, stats.errors) == (24, 3, 1)
    assert (stats.shown, stats.accepted) == (20, 1)
    assert stats.acceptance_rate == 0.05
    assert stats.cache_hit_ratio == pytest.approx(210 / 230)
    assert stats.latency_p50_ms == 1000  # nearest rank: 10th of 20
    assert stats.latency_p95_ms == 1900  # 19th of 20 (the error's latency is not counted)


def test_percentile_edges() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7], 0.95) == 7
    assert percentile([3, 1, 2], 0.5) == 2
    assert percentile([1, 2], 1.0) == 2


def test_grant_start_is_remembered_across_instances(tmp_path: Path) -> None:
    clock = Clock()
    with Ledger(tmp_path, clock=clock) as first:
        assert first.remembered_grant_start() is None
        assert first.grant_start() == date(2026, 11, 20)
    clock.now = T0 + timedelta(days=5)
    with Ledger(tmp_path, clock=clock) as second:
        assert second.grant_start() == date(2026, 11, 20)


def test_claim_meta_only_once(tmp_path: Path) -> None:
    with Ledger(tmp_path) as a, Ledger(tmp_path) as b:
        assert a.claim_meta("k", "1")
        assert not b.claim_meta("k", "2")
        assert b.get_meta("k") == "1"
        b.set_meta("k", "3")
        assert a.get_meta("k") == "3"
        assert a.get_meta("missing") is None


def test_two_instances_see_each_other(tmp_path: Path) -> None:
    with Ledger(tmp_path) as a, Ledger(tmp_path) as b:
        _record(a, output=5)
        _record(b, output=7)
        assert a.totals().output == b.totals().output == 12


def _migration_2(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE usage ADD COLUMN language TEXT")
    conn.execute("UPDATE usage SET language = 'unknown'")


def test_migrating_a_v1_database(tmp_path: Path) -> None:
    with Ledger(tmp_path, clock=Clock(), migrations=MIGRATIONS[:1]) as v1:
        rid = _record(v1, hit=1, miss=2, output=3, cost=Decimal("0.125"))
        v1.grant_start()
        assert v1.schema_version == 1
    with Ledger(tmp_path, migrations=(*MIGRATIONS[:1], _migration_2)) as v2:
        assert v2.schema_version == 2
        assert v2.get_meta("schema_version") == "2"
        row = v2.record_by_id(rid)
        assert row is not None
        assert (row["hit"], row["miss"], row["output"], row["cost"]) == (1, 2, 3, "0.125")
        assert row["language"] == "unknown"
        assert v2.remembered_grant_start() == date(2026, 11, 20)
        _record(v2, output=1)
        assert v2.totals().tokens == 7
    # Opening again applies nothing twice (ALTER TABLE ADD COLUMN would fail if it ran again).
    with Ledger(tmp_path, migrations=(*MIGRATIONS[:1], _migration_2)) as again:
        assert again.schema_version == 2


def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE usage ADD COLUMN half_done TEXT")
        raise RuntimeError("boom")

    with Ledger(tmp_path) as v1:
        _record(v1, output=2)
    with pytest.raises(RuntimeError, match="boom"):
        Ledger(tmp_path, migrations=(*MIGRATIONS, broken))
    with Ledger(tmp_path) as again:
        assert again.get_meta("schema_version") == "2"
        row = again.record_by_id(1)
        assert row is not None and "half_done" not in row


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        ledger.set_meta("schema_version", "7")
    with pytest.raises(LedgerError, match="schema version 7"):
        Ledger(tmp_path)


def test_queries_use_indexes(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        plan = " ".join(
            str(r[-1])
            for r in ledger._conn.execute(
                "EXPLAIN QUERY PLAN SELECT SUM(hit), SUM(cost_fe) FROM usage WHERE ts >= ?",
                ("2026",),
            )
        )
        session_plan = " ".join(
            str(r[-1])
            for r in ledger._conn.execute(
                "EXPLAIN QUERY PLAN SELECT outcome FROM usage WHERE session_id = ?", ("s",)
            )
        )
    assert "COVERING INDEX usage_ts" in plan
    assert "usage_session" in session_plan


def test_record_is_cheap(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        n = 500
        start = time.perf_counter()
        for i in range(n):
            _record(ledger, hit=i, miss=1, output=1, cost=Decimal("0.0000123"), session_id="s")
        per_record = (time.perf_counter() - start) / n
        assert ledger.totals().requests == n
    # Committed per record with synchronous=NORMAL: well under a millisecond on a normal disk.
    assert per_record < 0.005, per_record


def test_daily_sums_match_a_full_scan(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    outcomes = [o.value for o in Outcome]
    with Ledger(tmp_path, clock=Clock()) as ledger:
        ids = []
        for i in range(300):
            ids.append(
                _record(
                    ledger,
                    hit=rng.randrange(2000),
                    miss=rng.randrange(200),
                    output=rng.randrange(50),
                    cost=Decimal(rng.randrange(10**6)) / Decimal(10**12),
                    currency=rng.choice(["USD", "USD", "CNY"]),
                    outcome=rng.choice(outcomes),
                    at=T0 + timedelta(hours=i * 3),
                )
            )
        for rid in rng.sample(ids, 120):
            ledger.set_outcome(rid, rng.choice(outcomes))
        # A moment at midnight goes through the scan path; a day through the daily table.
        midnight = datetime.combine(T0.date() + timedelta(days=3), datetime.min.time(), UTC)
        scanned = ledger.totals(since=midnight)
        summed = ledger.totals(since=midnight.date())
        rows = ledger._conn.execute(
            "SELECT cost, currency FROM usage WHERE ts >= ?", ("2026-11-23",)
        ).fetchall()
    assert scanned == summed
    exact: dict[str, Decimal] = {}
    for cost, currency in rows:
        exact[currency] = exact.get(currency, Decimal(0)) + Decimal(cost)
    assert summed.cost_by_currency == exact
    assert summed.requests == len(rows) > 0


def test_an_old_schema_ledger_migrates_and_keeps_its_money(tmp_path: Path) -> None:
    # A ledger written by the previous release: schema 1, costs at that day's price table.
    with Ledger(tmp_path, clock=Clock(), migrations=MIGRATIONS[:1]) as v1:
        v1.grant_start()
        _record(v1, hit=134_000, miss=82_000, output=1_100, cost=Decimal("0.027174"))
        assert "balance_checks" not in {
            r[0] for r in v1._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    with Ledger(tmp_path, clock=Clock()) as now:
        assert now.schema_version == 2 and now.get_meta("schema_version") == "2"
        assert now.totals().cost_by_currency == {"USD": Decimal("0.027174")}
        assert now.remembered_grant_start() == date(2026, 11, 20)
        at = datetime(2026, 11, 21, tzinfo=UTC)
        now.record_balance(
            BalanceCheck(at, "USD", True, Decimal("8.37"), Decimal("8.37"), Decimal("0.00"))
        )
        latest = now.latest_balance("USD", since=at - timedelta(days=1))
        assert latest is not None and (latest.granted, latest.topped_up) == (
            Decimal("8.37"),
            Decimal("0.00"),
        )
        assert str(latest.granted) == "8.37"  # the precision DeepSeek sent is kept
        assert now.latest_balance("CNY", since=at - timedelta(days=1)) is None
        assert now.latest_balance("USD", since=at + timedelta(seconds=1)) is None


def test_balance_checks_in_order_and_usage_rows(tmp_path: Path) -> None:
    base = datetime(2026, 11, 21, tzinfo=UTC)
    with Ledger(tmp_path) as ledger:
        for hours, granted in ((5, "8.30"), (1, "8.39"), (3, "8.35")):
            ledger.record_balance(
                BalanceCheck(
                    base + timedelta(hours=hours),
                    "USD",
                    True,
                    Decimal(granted),
                    Decimal(granted),
                    Decimal(0),
                )
            )
        checks = ledger.balance_checks("USD", since=base)
        assert [str(c.granted) for c in checks] == ["8.39", "8.35", "8.30"]
        ledger.record(
            model="m", hit=1, miss=2, output=3, cost=Decimal("0.5"), currency="USD",
            outcome="shown", at=base + timedelta(hours=2),
        )  # fmt: skip
        ledger.record(
            model="m", hit=0, miss=0, output=0, cost=Decimal(0), currency="USD",
            outcome="cancelled", at=base + timedelta(hours=2),
        )  # fmt: skip
        rows = ledger.usage_rows(base, base + timedelta(hours=3))
        assert [(r.model, r.hit, r.miss, r.output, r.cost) for r in rows] == [
            ("m", 1, 2, 3, Decimal("0.5"))
        ]
        assert ledger.usage_rows(base + timedelta(hours=3), base + timedelta(hours=9)) == []
        until = ledger.totals(since=base, until=base + timedelta(hours=2, seconds=1))
        assert until.cost_by_currency == {"USD": Decimal("0.5")}

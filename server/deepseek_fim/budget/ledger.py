"""The usage ledger: one SQLite file shared by every editor on the machine.

Durability: WAL with `synchronous=NORMAL`. A commit is written to the WAL before `commit`
returns, so it survives the death of the process (SIGKILL included): the bytes are in the OS
page cache. Only an OS crash or power loss can lose the last few commits, and even then the
database stays consistent.
`FULL` would add an fsync to every record on the keystroke path for a guarantee that matters only
when the machine itself goes down. Every record is its own transaction, committed before `record`
returns. `busy_timeout` lets two servers (a VS Code window and a Neovim) write at the same time: the
second writer waits for the first instead of failing.

Timestamps are fixed-width UTC ISO text, so text order is time order; days are UTC days.
Costs are stored exactly as decimal text, and also as integer femto-units (1e-15 of the currency)
so that SQL can sum them exactly. A `daily` table of per-day sums, kept by triggers inside each
write's transaction, makes the grant figures O(days) to read.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from deepseek_fim.budget.clock import Clock, as_utc, iso_utc, parse_iso_utc, utc_now

logger = logging.getLogger(__name__)

LEDGER_FILE = "ledger.sqlite3"
FEMTO = Decimal(10) ** 15


class Outcome(StrEnum):
    """What became of one response."""

    SHOWN = "shown"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"
    ERROR = "error"
    DROPPED = "dropped"  # answered, but post-processing left nothing worth showing
    # Answered, but nobody was waiting for it (a prefetch after an accept, a request whose
    # asker went away): kept for reuse; it becomes `shown` if a later request is answered by it.
    UNUSED = "unused"


class LedgerError(Exception):
    """The ledger cannot be used (for example, it was written by a newer version)."""


Migration = Callable[[sqlite3.Connection], None]


def _migration_1(conn: sqlite3.Connection) -> None:
    """Create the initial schema."""
    conn.execute(
        """
        CREATE TABLE usage (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts TEXT NOT NULL,
            model TEXT NOT NULL,
            hit INTEGER NOT NULL DEFAULT 0,
            miss INTEGER NOT NULL DEFAULT 0,
            output INTEGER NOT NULL DEFAULT 0,
            cost TEXT NOT NULL DEFAULT '0',
            cost_fe INTEGER NOT NULL DEFAULT 0,
            currency TEXT NOT NULL DEFAULT 'USD',
            latency_ms INTEGER,
            outcome TEXT NOT NULL,
            accepted_chars INTEGER,
            request_id TEXT,
            session_id TEXT,
            error TEXT
        )
        """
    )
    # Covering index: the grant totals and the per-day table are read from the index alone.
    conn.execute(
        "CREATE INDEX usage_ts ON usage (ts, hit, miss, output, cost_fe, currency, outcome)"
    )
    conn.execute("CREATE INDEX usage_session ON usage (session_id)")
    conn.execute("CREATE INDEX usage_request ON usage (request_id)")
    # Per-day sums kept by triggers in the same transaction as each write, so the grant figures
    # cost O(days) to read however many records the period holds.
    conn.execute(
        """
        CREATE TABLE daily (
            day TEXT NOT NULL,
            currency TEXT NOT NULL,
            requests INTEGER NOT NULL,
            hit INTEGER NOT NULL,
            miss INTEGER NOT NULL,
            output INTEGER NOT NULL,
            cost_fe INTEGER NOT NULL,
            shown INTEGER NOT NULL,
            accepted INTEGER NOT NULL,
            cancelled INTEGER NOT NULL,
            errors INTEGER NOT NULL,
            dropped INTEGER NOT NULL,
            PRIMARY KEY (day, currency)
        ) WITHOUT ROWID
        """
    )
    conn.execute(
        """
        CREATE TRIGGER usage_daily_insert AFTER INSERT ON usage BEGIN
            INSERT INTO daily VALUES (
                substr(NEW.ts, 1, 10), NEW.currency, 1, NEW.hit, NEW.miss, NEW.output,
                NEW.cost_fe, NEW.outcome IN ('shown', 'accepted'), NEW.outcome = 'accepted',
                NEW.outcome = 'cancelled', NEW.outcome = 'error', NEW.outcome = 'dropped')
            ON CONFLICT (day, currency) DO UPDATE SET
                requests = requests + 1, hit = hit + excluded.hit, miss = miss + excluded.miss,
                output = output + excluded.output, cost_fe = cost_fe + excluded.cost_fe,
                shown = shown + excluded.shown, accepted = accepted + excluded.accepted,
                cancelled = cancelled + excluded.cancelled, errors = errors + excluded.errors,
                dropped = dropped + excluded.dropped;
        END
        """
    )
    conn.execute(
        """
        CREATE TRIGGER usage_daily_outcome AFTER UPDATE OF outcome ON usage
        WHEN OLD.outcome != NEW.outcome BEGIN
            UPDATE daily SET
                shown = shown - (OLD.outcome IN ('shown', 'accepted'))
                    + (NEW.outcome IN ('shown', 'accepted')),
                accepted = accepted - (OLD.outcome = 'accepted') + (NEW.outcome = 'accepted'),
                cancelled = cancelled - (OLD.outcome = 'cancelled') + (NEW.outcome = 'cancelled'),
                errors = errors - (OLD.outcome = 'error') + (NEW.outcome = 'error'),
                dropped = dropped - (OLD.outcome = 'dropped') + (NEW.outcome = 'dropped')
            WHERE day = substr(OLD.ts, 1, 10) AND currency = OLD.currency;
        END
        """
    )


def _migration_2(conn: sqlite3.Connection) -> None:
    """Keep every `/user/balance` answer: the balance is the grant's authority (issue 12).

    Amounts are kept as the decimal text DeepSeek sent, so their precision (the balance's
    resolution) is known when deltas are compared with the ledger's costs.
    """
    conn.execute(
        """
        CREATE TABLE balance_checks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ts TEXT NOT NULL,
            currency TEXT NOT NULL,
            is_available INTEGER NOT NULL,
            total TEXT NOT NULL,
            granted TEXT NOT NULL,
            topped_up TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX balance_checks_ts ON balance_checks (ts)")


def _migration_3(conn: sqlite3.Connection) -> None:
    """Aborted requests that may have been billed, and whether a request was paced (issue 10).

    A request aborted after its body was sent may still be billed by DeepSeek for its prompt,
    though no `usage` ever arrives for it. Its row keeps zero tokens and zero cost (nothing was
    measured) and carries the estimate apart: `possibly_billed` = 1, `est_prompt` (estimated
    prompt tokens) and `est_cost_fe` (their price, femto-units of the row's currency).
    `paced` = 1 marks a request sent while pacing made the server spend less.
    Existing rows keep their values; their estimates are 0 (none was made when they were written).
    """
    for column in ("possibly_billed", "est_prompt", "est_cost_fe", "paced"):
        conn.execute(f"ALTER TABLE usage ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
    for column in ("possibly_billed", "est_prompt", "est_cost_fe"):
        conn.execute(f"ALTER TABLE daily ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
    conn.execute("DROP TRIGGER usage_daily_insert")
    conn.execute(
        """
        CREATE TRIGGER usage_daily_insert AFTER INSERT ON usage BEGIN
            INSERT INTO daily (day, currency, requests, hit, miss, output, cost_fe, shown,
                accepted, cancelled, errors, dropped, possibly_billed, est_prompt, est_cost_fe)
            VALUES (
                substr(NEW.ts, 1, 10), NEW.currency, 1, NEW.hit, NEW.miss, NEW.output,
                NEW.cost_fe, NEW.outcome IN ('shown', 'accepted'), NEW.outcome = 'accepted',
                NEW.outcome = 'cancelled', NEW.outcome = 'error', NEW.outcome = 'dropped',
                NEW.possibly_billed, NEW.est_prompt, NEW.est_cost_fe)
            ON CONFLICT (day, currency) DO UPDATE SET
                requests = requests + 1, hit = hit + excluded.hit, miss = miss + excluded.miss,
                output = output + excluded.output, cost_fe = cost_fe + excluded.cost_fe,
                shown = shown + excluded.shown, accepted = accepted + excluded.accepted,
                cancelled = cancelled + excluded.cancelled, errors = errors + excluded.errors,
                dropped = dropped + excluded.dropped,
                possibly_billed = possibly_billed + excluded.possibly_billed,
                est_prompt = est_prompt + excluded.est_prompt,
                est_cost_fe = est_cost_fe + excluded.est_cost_fe;
        END
        """
    )


MIGRATIONS: tuple[Migration, ...] = (_migration_1, _migration_2, _migration_3)
"""Migration i (1-based) brings the schema from version i-1 to i. Add a function to migrate."""


def cache_hit_ratio(hit: int, miss: int) -> float | None:
    """Share of prompt tokens that hit DeepSeek's cache; None with no prompt tokens."""
    return hit / (hit + miss) if hit + miss else None


def acceptance_rate(accepted: int, shown: int) -> float | None:
    """Accepted suggestions per shown suggestion; None if nothing was shown."""
    return accepted / shown if shown else None


@dataclass(frozen=True)
class Totals:
    """Sums over a period of the ledger."""

    requests: int = 0
    hit: int = 0
    miss: int = 0
    output: int = 0
    cost_by_currency: dict[str, Decimal] = field(default_factory=dict)
    shown: int = 0  # shown or accepted: everything the user saw
    accepted: int = 0
    cancelled: int = 0
    errors: int = 0
    dropped: int = 0
    # Requests aborted after they were sent: counted apart, never in the tokens or costs above.
    possibly_billed: int = 0
    est_prompt: int = 0  # their estimated prompt tokens
    est_cost_by_currency: dict[str, Decimal] = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        """All tokens: cache hits, cache misses and output all count against the grant."""
        return self.hit + self.miss + self.output

    @property
    def cache_hit_ratio(self) -> float | None:
        """Share of prompt tokens that hit DeepSeek's cache; None with no prompt tokens."""
        return cache_hit_ratio(self.hit, self.miss)

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted suggestions per shown suggestion; None if nothing was shown."""
        return acceptance_rate(self.accepted, self.shown)


@dataclass(frozen=True)
class PossiblyBilled:
    """The estimate kept for a request aborted after it was sent: its prompt, and its price."""

    prompt_tokens: int
    cost: Decimal


@dataclass(frozen=True)
class DayRow:
    """One UTC day of the ledger."""

    day: date
    requests: int
    hit: int
    miss: int
    output: int
    cost_by_currency: dict[str, Decimal]

    @property
    def tokens(self) -> int:
        """All tokens of the day."""
        return self.hit + self.miss + self.output


@dataclass(frozen=True)
class UsageRow:
    """The billing columns of one record."""

    at: datetime
    model: str
    hit: int
    miss: int
    output: int
    cost: Decimal
    currency: str


@dataclass(frozen=True)
class BalanceCheck:
    """One answer of `GET /user/balance` in one currency, as the ledger keeps it."""

    at: datetime
    currency: str
    is_available: bool
    total: Decimal
    granted: Decimal
    topped_up: Decimal


@dataclass(frozen=True)
class SessionStats:
    """Figures of one server session."""

    requests: int
    cancelled: int
    errors: int
    shown: int
    accepted: int
    hit: int
    miss: int
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    possibly_billed: int = 0  # aborted after they were sent
    est_prompt: int = 0  # their estimated prompt tokens
    paced: int = 0  # requests sent while pacing

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted per shown; None if nothing was shown."""
        return acceptance_rate(self.accepted, self.shown)

    @property
    def cache_hit_ratio(self) -> float | None:
        """Share of prompt tokens that hit the cache; None with no prompt tokens."""
        return cache_hit_ratio(self.hit, self.miss)


@dataclass(frozen=True)
class PaceEffect:
    """Answered requests and their prompt tokens (hits and misses), sent paced and not."""

    paced: int
    paced_prompt: int
    unpaced: int
    unpaced_prompt: int

    @property
    def paced_per_request(self) -> float | None:
        """Mean prompt tokens of a paced request; None with none."""
        return self.paced_prompt / self.paced if self.paced else None

    @property
    def unpaced_per_request(self) -> float | None:
        """Mean prompt tokens of a request sent without pacing; None with none."""
        return self.unpaced_prompt / self.unpaced if self.unpaced else None


def _femto(cost: Decimal) -> int:
    return int((cost * FEMTO).to_integral_value(rounding=ROUND_HALF_EVEN))


def _from_femto(value: int) -> Decimal:
    return (Decimal(value) / FEMTO).normalize() if value else Decimal(0)


def percentile(values: Sequence[int], fraction: float) -> int | None:
    """Return the nearest-rank percentile of `values` (None if empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(round(fraction * len(ordered), 9)))
    return ordered[min(rank, len(ordered)) - 1]


def day_start_iso(day: date) -> str:
    """Return the ledger timestamp of 00:00 UTC on `day`."""
    return iso_utc(datetime.combine(day, time(0), tzinfo=UTC))


class Ledger:
    """The SQLite usage ledger in `data_dir` (created if missing). Thread-safe; one connection."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        clock: Clock = utc_now,
        busy_timeout_ms: int = 10_000,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        directory = Path(data_dir).expanduser()
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / LEDGER_FILE
        self._clock = clock
        self._lock = threading.Lock()
        # Autocommit mode (isolation_level=None): each statement outside BEGIN commits at once.
        self._conn = sqlite3.connect(
            self.path,
            timeout=busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                logger.warning("ledger journal mode is %s, not wal", mode)
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self.schema_version = self._migrate(migrations)
        except Exception:
            self._conn.close()
            raise

    # --- schema -----------------------------------------------------------------------------

    def _migrate(self, migrations: Sequence[Migration]) -> int:
        conn = self._conn
        # IMMEDIATE takes the write lock first, so two servers starting together migrate once.
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > len(migrations):
                raise LedgerError(
                    f"the ledger {self.path} has schema version {version}, newer than this "
                    f"version of deepseek-fim knows ({len(migrations)}): upgrade deepseek-fim"
                )
            for number in range(version + 1, len(migrations) + 1):
                logger.info("migrating ledger %s to schema version %d", self.path, number)
                migrations[number - 1](conn)
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(number),),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(migrations)

    # --- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """Return a value of the meta table, or None."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def claim_meta(self, key: str, value: str) -> bool:
        """Set `key` unless it is set; True if this call set it (atomic across processes)."""
        with self._lock:
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value)
            )
            return cursor.rowcount == 1

    def set_meta(self, key: str, value: str) -> None:
        """Set `key` to `value`."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)
            )

    def remembered_grant_start(self) -> date | None:
        """Return the first-run date remembered in the ledger, or None if none is yet."""
        value = self.get_meta("grant_start")
        return None if value is None else date.fromisoformat(value)

    def grant_start(self, today: date | None = None) -> date:
        """Return the first-run date, remembering `today` (default: the clock's UTC day) if none."""
        first = today if today is not None else as_utc(self._clock()).date()
        self.claim_meta("grant_start", first.isoformat())
        remembered = self.remembered_grant_start()
        assert remembered is not None  # claimed just above, by us or by another process
        return remembered

    # --- balance checks ---------------------------------------------------------------------

    def record_balance(self, check: BalanceCheck) -> None:
        """Keep one balance answer (committed before returning)."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO balance_checks (ts, currency, is_available, total, granted, "
                "topped_up) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    iso_utc(check.at),
                    check.currency,
                    int(check.is_available),
                    format(check.total, "f"),
                    format(check.granted, "f"),
                    format(check.topped_up, "f"),
                ),
            )

    def balance_checks(self, currency: str, since: datetime) -> list[BalanceCheck]:
        """Return the balance answers in `currency` at or after `since`, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT ts, currency, is_available, total, granted, topped_up FROM balance_checks "
                "WHERE currency = ? AND ts >= ? ORDER BY ts, id",
                (currency, iso_utc(since)),
            ).fetchall()
        return [
            BalanceCheck(
                parse_iso_utc(ts), str(cur), bool(ok), Decimal(total), Decimal(granted), Decimal(up)
            )
            for ts, cur, ok, total, granted, up in rows
        ]

    def latest_balance(self, currency: str, since: datetime) -> BalanceCheck | None:
        """Return the newest balance answer in `currency` at or after `since`, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT ts, currency, is_available, total, granted, topped_up FROM balance_checks "
                "WHERE currency = ? AND ts >= ? ORDER BY ts DESC, id DESC LIMIT 1",
                (currency, iso_utc(since)),
            ).fetchone()
        if row is None:
            return None
        ts, cur, ok, total, granted, up = row
        return BalanceCheck(
            parse_iso_utc(ts), str(cur), bool(ok), Decimal(total), Decimal(granted), Decimal(up)
        )

    # --- writing ----------------------------------------------------------------------------

    def record(
        self,
        *,
        model: str,
        hit: int,
        miss: int,
        output: int,
        cost: Decimal,
        currency: str,
        outcome: Outcome | str,
        latency_ms: int | None = None,
        accepted_chars: int | None = None,
        request_id: str | None = None,
        session_id: str | None = None,
        error: str | None = None,
        at: datetime | None = None,
        possibly_billed: PossiblyBilled | None = None,
        paced: bool = False,
    ) -> int:
        """Write one response and commit it before returning; return its id.

        `possibly_billed`: the estimate for a request aborted after it was sent (its tokens and
        cost stay 0: nothing was measured). `paced`: pacing was in force when it was sent.
        """
        outcome = Outcome(outcome)
        ts = iso_utc(at if at is not None else self._clock())
        estimate = possibly_billed or PossiblyBilled(0, Decimal(0))
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO usage (ts, model, hit, miss, output, cost, cost_fe, currency, "
                "latency_ms, outcome, accepted_chars, request_id, session_id, error, "
                "possibly_billed, est_prompt, est_cost_fe, paced) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ts,
                    model,
                    hit,
                    miss,
                    output,
                    format(cost, "f"),
                    _femto(cost),
                    currency,
                    latency_ms,
                    outcome.value,
                    accepted_chars,
                    request_id,
                    session_id,
                    error,
                    int(possibly_billed is not None),
                    estimate.prompt_tokens,
                    _femto(estimate.cost),
                    int(paced),
                ),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        return row_id

    def set_outcome(
        self, record_id: int, outcome: Outcome | str, accepted_chars: int | None = None
    ) -> bool:
        """Change a record's outcome (e.g. shown -> accepted); False if there is no such record."""
        return self._update_outcome("id", record_id, outcome, accepted_chars)

    def set_outcome_by_request(
        self, request_id: str, outcome: Outcome | str, accepted_chars: int | None = None
    ) -> bool:
        """Change the outcome of the record with this request id; False if there is none."""
        return self._update_outcome("request_id", request_id, outcome, accepted_chars)

    def _update_outcome(
        self,
        column: Literal["id", "request_id"],
        key: int | str,
        outcome: Outcome | str,
        accepted_chars: int | None,
    ) -> bool:
        outcome = Outcome(outcome)
        with self._lock:
            cursor = self._conn.execute(
                # column is one of two fixed names; values go through parameters
                "UPDATE usage SET outcome = ?, accepted_chars = COALESCE(?, accepted_chars) "  # noqa: S608
                f"WHERE {column} = ?",
                (outcome.value, accepted_chars, key),
            )
            return cursor.rowcount >= 1

    # --- reading ----------------------------------------------------------------------------

    def record_by_id(self, record_id: int) -> dict[str, Any] | None:
        """Return one record as a dict of its columns, or None."""
        with self._lock:
            cursor = self._conn.execute("SELECT * FROM usage WHERE id = ?", (record_id,))
            row = cursor.fetchone()
            names = [d[0] for d in cursor.description]
        return None if row is None else dict(zip(names, row, strict=True))

    def totals(
        self, since: date | datetime | None = None, until: date | datetime | None = None
    ) -> Totals:
        """Return sums of the records at or after `since` (UTC day or moment), before `until`."""
        if not isinstance(since, datetime) and not isinstance(until, datetime):
            return self._daily_totals(since, until)
        clauses, params = self._range(since, until)
        sql = (
            # clauses are fixed text; values go through parameters
            "SELECT currency, COUNT(*), SUM(hit), SUM(miss), SUM(output), SUM(cost_fe), "  # noqa: S608
            "SUM(outcome IN ('shown', 'accepted')), SUM(outcome = 'accepted'), "
            "SUM(outcome = 'cancelled'), SUM(outcome = 'error'), SUM(outcome = 'dropped'), "
            "SUM(possibly_billed), SUM(est_prompt), SUM(est_cost_fe) "
            f"FROM usage {clauses} GROUP BY currency"
        )
        return self._totals_from(sql, params)

    def _totals_from(self, sql: str, params: list[str]) -> Totals:
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        sums = [0] * 13
        costs: dict[str, Decimal] = {}
        est_costs: dict[str, Decimal] = {}
        for currency, *values in rows:
            for i, value in enumerate(values):
                sums[i] += int(value or 0)
            costs[str(currency)] = _from_femto(int(values[4] or 0))
            if values[12]:
                est_costs[str(currency)] = _from_femto(int(values[12]))
        requests, hit, miss, output, _, shown, accepted, cancelled, errors, dropped = sums[:10]
        return Totals(
            requests=requests,
            hit=hit,
            miss=miss,
            output=output,
            cost_by_currency=costs,
            shown=shown,
            accepted=accepted,
            cancelled=cancelled,
            errors=errors,
            dropped=dropped,
            possibly_billed=sums[10],
            est_prompt=sums[11],
            est_cost_by_currency=est_costs,
        )

    def _daily_totals(self, since: date | None, until: date | None) -> Totals:
        clauses, params = self._day_range(since, until)
        sql = (
            "SELECT currency, SUM(requests), SUM(hit), SUM(miss), SUM(output), "  # noqa: S608
            "SUM(cost_fe), SUM(shown), SUM(accepted), SUM(cancelled), SUM(errors), "
            "SUM(dropped), SUM(possibly_billed), SUM(est_prompt), SUM(est_cost_fe) "
            f"FROM daily {clauses} GROUP BY currency"
        )
        return self._totals_from(sql, params)

    def per_day(self, start: date, end: date) -> list[DayRow]:
        """Return one row per UTC day from `start` to `end` inclusive, idle days included."""
        clauses, params = self._day_range(start, end + timedelta(days=1))
        sql = (
            "SELECT day, currency, requests, hit, miss, output, cost_fe "  # noqa: S608
            f"FROM daily {clauses}"
        )
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        by_day: dict[date, list[Any]] = {}
        for day_text, currency, requests, hit, miss, output, cost_fe in rows:
            entry = by_day.setdefault(date.fromisoformat(day_text), [0, 0, 0, 0, {}])
            entry[0] += requests
            entry[1] += int(hit or 0)
            entry[2] += int(miss or 0)
            entry[3] += int(output or 0)
            entry[4][str(currency)] = _from_femto(int(cost_fe or 0))
        result = []
        day = start
        while day <= end:
            requests, hit, miss, output, costs = by_day.get(day, [0, 0, 0, 0, {}])
            result.append(DayRow(day, requests, hit, miss, output, costs))
            day += timedelta(days=1)
        return result

    def usage_rows(self, since: datetime, until: datetime) -> list[UsageRow]:
        """Return the records at or after `since` and before `until` that used tokens."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT ts, model, hit, miss, output, cost, currency FROM usage "
                "WHERE ts >= ? AND ts < ? AND hit + miss + output > 0 ORDER BY ts",
                (iso_utc(since), iso_utc(until)),
            ).fetchall()
        return [
            UsageRow(
                parse_iso_utc(ts), str(model), int(hit), int(miss), int(out), Decimal(cost), cur
            )
            for ts, model, hit, miss, out, cost, cur in rows
        ]

    def session_stats(self, session_id: str) -> SessionStats:
        """Return the figures of one session (latency percentiles over answered requests)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT outcome, hit, miss, latency_ms, possibly_billed, est_prompt, paced "
                "FROM usage WHERE session_id = ?",
                (session_id,),
            ).fetchall()
        counts = {o.value: 0 for o in Outcome}
        hit = miss = billed = estimated = paced = 0
        latencies: list[int] = []
        for outcome, row_hit, row_miss, latency, row_billed, row_est, row_paced in rows:
            counts[outcome] = counts.get(outcome, 0) + 1
            hit += row_hit
            miss += row_miss
            billed += row_billed
            estimated += row_est
            paced += row_paced
            if latency is not None and outcome in ("shown", "accepted", "dropped"):
                latencies.append(int(latency))
        return SessionStats(
            requests=len(rows),
            cancelled=counts["cancelled"],
            errors=counts["error"],
            shown=counts["shown"] + counts["accepted"],
            accepted=counts["accepted"],
            hit=hit,
            miss=miss,
            latency_p50_ms=percentile(latencies, 0.50),
            latency_p95_ms=percentile(latencies, 0.95),
            possibly_billed=billed,
            est_prompt=estimated,
            paced=paced,
        )

    def pace_effect(self, since: datetime, until: datetime) -> PaceEffect:
        """Prompt tokens per answered request, paced and not, from `since` to before `until`."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT paced, COUNT(*), SUM(hit + miss) FROM usage "
                "WHERE ts >= ? AND ts < ? AND hit + miss > 0 GROUP BY paced",
                (iso_utc(since), iso_utc(until)),
            ).fetchall()
        sums = {int(paced): (int(count), int(tokens or 0)) for paced, count, tokens in rows}
        paced_count, paced_tokens = sums.get(1, (0, 0))
        free_count, free_tokens = sums.get(0, (0, 0))
        return PaceEffect(paced_count, paced_tokens, free_count, free_tokens)

    def integrity_check(self) -> str:
        """Return SQLite's `PRAGMA integrity_check` answer (`ok` when healthy)."""
        with self._lock:
            return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    def check(self) -> None:
        """Raise LedgerError unless the tables are there and hold numbers where they should.

        Scans every row: for the command line, before it sends a billed request.
        """
        numeric = {
            "usage": ("hit", "miss", "output", "cost_fe"),
            "daily": ("requests", "hit", "miss", "output", "cost_fe"),
        }
        try:
            with self._lock:
                answer = str(self._conn.execute("PRAGMA quick_check").fetchone()[0])
                if answer != "ok":
                    raise LedgerError(f"the ledger {self.path} is damaged: {answer}")
                for table, columns in numeric.items():
                    wrong = " OR ".join(f"typeof({c}) != 'integer'" for c in columns)
                    # table and column names are the fixed ones above
                    query = f"SELECT COUNT(*) FROM {table} WHERE {wrong}"  # noqa: S608
                    bad = self._conn.execute(query).fetchone()[0]
                    if bad:
                        raise LedgerError(
                            f"the ledger {self.path} has {bad} {table} row(s) with "
                            "non-numeric token counts"
                        )
        except sqlite3.Error as exc:
            raise LedgerError(f"the ledger {self.path} is damaged: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _day_range(since: date | None, until: date | None) -> tuple[str, list[str]]:
        clauses: list[str] = []
        params: list[str] = []
        if since is not None:
            clauses.append("day >= ?")
            params.append(since.isoformat())
        if until is not None:
            clauses.append("day < ?")
            params.append(until.isoformat())
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    @staticmethod
    def _range(
        since: date | datetime | None, until: date | datetime | None
    ) -> tuple[str, list[str]]:
        clauses: list[str] = []
        params: list[str] = []
        if since is not None:
            clauses.append("ts >= ?")
            params.append(iso_utc(since) if isinstance(since, datetime) else day_start_iso(since))
        if until is not None:
            clauses.append("ts < ?")
            params.append(iso_utc(until) if isinstance(until, datetime) else day_start_iso(until))
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

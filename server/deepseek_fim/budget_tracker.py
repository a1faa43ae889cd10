"""The budget as the completion service sees it: one object over ledger, prices, grant and state.

It turns what happened to a request (usage, an API error, a cancellation, an accept) into ledger
records and state-machine inputs, and answers the two questions the service asks before sending
(`may_send`) and the clients ask afterwards (`payload`, `status_payload`). The pieces it composes
live in `deepseek_fim.budget`; this module only wires them to the DeepSeek client's types.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from deepseek_fim.budget.clock import Clock, as_utc, utc_now
from deepseek_fim.budget.daily import daily_json
from deepseek_fim.budget.grant import grant_status
from deepseek_fim.budget.ledger import BalanceCheck, Ledger, LedgerError, Outcome, PossiblyBilled
from deepseek_fim.budget.pace import Pace, PaceBase, pace_for
from deepseek_fim.budget.payload import (
    BalanceView,
    LastCompletion,
    payload_for,
    price_check_text,
    status_payload,
)
from deepseek_fim.budget.price_check import PriceCheck
from deepseek_fim.budget.prices import PriceTable
from deepseek_fim.budget.report import price_check_from_ledger
from deepseek_fim.budget.state import BudgetState, ErrorKind, State, should_check_balance
from deepseek_fim.budget.thresholds import claim_notices
from deepseek_fim.deepseek import (
    ApiTimeout,
    Balance,
    ConnectionFailed,
    DeepSeekError,
    NoApiKey,
    Unreachable,
    Usage,
)
from deepseek_fim.settings import Settings

logger = logging.getLogger(__name__)

MessageKind = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Recorded:
    """A response recorded: the id the client quotes when accepting it, and what it cost."""

    completion_id: str
    cost: Decimal
    currency: str


def error_kind(exc: DeepSeekError) -> ErrorKind | None:
    """Map a client error to the state machine's input (None: the error changes no state)."""
    if isinstance(exc, ApiTimeout):
        return "timeout"
    if isinstance(exc, Unreachable):
        return "unreachable"
    if isinstance(exc, ConnectionFailed):
        return "connection"
    if isinstance(exc, NoApiKey):
        return None
    return exc.status


class BudgetTracker:
    """Ledger records, grant figures, budget state and payloads for one server process."""

    def __init__(
        self,
        settings: Settings,
        *,
        on_change: Callable[[], None],
        clock: Clock = utc_now,
    ) -> None:
        """Open the ledger in the settings' data dir and start in the state the settings imply."""
        self._clock = clock
        self._on_change = on_change
        self._session_id = uuid.uuid4().hex
        self._messages: list[tuple[str, MessageKind]] = []
        self._data_dir = settings.data_dir
        self.ledger_is_private = False  # True once usage goes to a ledger of this session's own
        self._ledger = self._open_ledger(settings.data_dir)
        self._state = BudgetState(
            has_key=bool(settings.api_key), enabled=settings.enabled, clock=clock
        )
        self._configure_tables(settings)
        self._document_state: str | None = None
        self._document_message: str | None = None
        # What context from other files went into the last prompt, for the tooltip.
        self._context_text: str | None = None
        self._balance: BalanceView | None = None
        self._balance_checked_at: Any = None
        self._active_since_balance = False
        self._last: LastCompletion | None = None
        self._pending: dict[str, dict[str, Any]] = {}
        self._flush_handle: asyncio.TimerHandle | None = None
        self._refresh_grant()
        self._price_check = self._check_prices()

    def _open_ledger(self, data_dir: str) -> Ledger:
        """Open the shared ledger; if that fails, a private one, and say so."""
        try:
            return Ledger(data_dir, clock=self._clock)
        # Beyond OSError: a NUL byte in the path is a ValueError, "~unknown-user" a RuntimeError.
        except (OSError, ValueError, RuntimeError, sqlite3.Error, LedgerError) as exc:
            return self._private_ledger(f"cannot open the usage ledger in {data_dir} ({exc})")

    def _private_ledger(self, problem: str) -> Ledger:
        """A ledger of this session's own, after the shared one failed; say so."""
        fallback = tempfile.mkdtemp(prefix="deepseek-fim-ledger-")
        self.ledger_is_private = True
        logger.error("%s; recording usage in %s", problem, fallback)
        self._messages.append(
            (
                f"DeepSeek FIM: {problem}; this session records usage in {fallback} instead, "
                "which other editors and `deepseek-fim usage` do not see. Set "
                "deepseekFim.dataDir to a writable directory.",
                "error",
            )
        )
        return Ledger(fallback, clock=self._clock)

    def _configure_tables(self, settings: Settings) -> None:
        self._prices = PriceTable(settings.prices)
        self._grant_config = settings.grant
        self._pace_mode = settings.pace
        self._pace_base = PaceBase.from_settings(settings)
        for problem in self._prices.problems:
            self._messages.append((f"DeepSeek FIM: ignoring a price setting: {problem}", "warning"))

    def configure(self, settings: Settings, *, key_changed: bool) -> None:
        """Apply new settings; a changed key ends any pause."""
        if settings.data_dir != self._data_dir:
            # Rows still pending go to the ledger they were made with; the new one is open
            # before the old one closes, so there is never no ledger (a bad dataDir falls back
            # to a private one).
            self.flush()
            old = self._ledger
            self.ledger_is_private = False
            self._ledger = self._open_ledger(settings.data_dir)
            self._data_dir = settings.data_dir
            old.close()
        self._configure_tables(settings)
        self._state.set_enabled(settings.enabled)
        if key_changed:
            self._state.on_key_changed(bool(settings.api_key))
        self._refresh_grant()
        self._price_check = self._check_prices()
        self._on_change()

    def close(self) -> None:
        """Write what is pending and close the ledger."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self.flush()
        self._ledger.close()

    # ----- before a request

    def set_document_state(self, reason: str | None, message: str | None = None) -> None:
        """The active document's own reason not to send (`excluded`, `disabled`, ...), or None."""
        if (reason, message) != (self._document_state, self._document_message):
            self._document_state, self._document_message = reason, message
            self._on_change()

    def may_send(self) -> bool:
        """True if the budget state allows a request now."""
        self._active_since_balance = True
        return self._state.may_send()

    def wait_before_send(self) -> float | None:
        """Seconds (of the budget's clock) before a request may be sent; None: not now."""
        self._active_since_balance = True
        return self._state.wait_before_send()

    def balance_check_due(self) -> bool:
        """Whether `GET /user/balance` should be called now (start, after 402, every 10 min).

        Never while the key is refused: the answer would be another 401.
        """
        if self._state.paused is State.AUTH_FAILED:
            return False
        return should_check_balance(
            self._clock(),
            self._balance_checked_at,
            self._active_since_balance,
            self._state.balance_check_due,
        )

    def pace(self) -> Pace:
        """What pacing does now, from the last grant figures (re-read with each payload)."""
        return pace_for(self._state.grant, self._pace_mode, self._pace_base)

    # ----- after a request

    def record(
        self,
        *,
        model: str,
        usage: Usage | None,
        latency_ms: int,
        outcome: str,
        paced: bool = False,
    ) -> Recorded:
        """Record one answered request.

        The row is committed right after the answer has gone to the editor (see `_write_soon`),
        so the SQLite commit is not part of the completion's latency.
        """
        hit, miss, output = (usage.hit, usage.miss, usage.output) if usage else (0, 0, 0)
        now = self._clock()
        row = self._prices.row(model, as_utc(now))
        cost = row.cost(hit, miss, output)
        completion_id = uuid.uuid4().hex
        self._write_soon(
            completion_id,
            {
                "model": model,
                "hit": hit,
                "miss": miss,
                "output": output,
                "cost": cost,
                "currency": row.currency,
                "outcome": outcome,
                "latency_ms": latency_ms,
                "session_id": self._session_id,
                "at": now,
                "paced": paced,
            },
        )
        if usage is not None:
            self._last = LastCompletion(hit, miss, output, cost, latency_ms)
        return Recorded(completion_id, cost, row.currency)

    def _write_soon(self, completion_id: str, row: dict[str, Any]) -> None:
        self._pending[completion_id] = row
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (the CLI): write at once
            self.flush()
            return
        if self._flush_handle is None:
            # A zero-delay timer runs after the callbacks already queued, among them the one
            # that sends the completion's response.
            self._flush_handle = loop.call_later(0, self.flush)

    def flush(self) -> None:
        """Commit the records not written yet (each in its own transaction)."""
        self._flush_handle = None
        pending, self._pending = self._pending, {}
        for completion_id, row in pending.items():
            try:
                self._ledger.record(request_id=completion_id, **row)
            except (sqlite3.Error, ValueError) as exc:
                # The shared ledger broke under us (a dropped table, a full disk): the row
                # goes to a private ledger rather than nowhere.
                broken = self._ledger
                self._ledger = self._private_ledger(
                    f"cannot write to the usage ledger in {self._data_dir} ({exc})"
                )
                broken.close()
                self._ledger.record(request_id=completion_id, **row)
        if pending:
            self._after_record()

    def record_cancelled(
        self,
        model: str,
        latency_ms: int,
        *,
        sent_prompt_tokens: int | None = None,
        paced: bool = False,
    ) -> None:
        """A request aborted before its usage arrived: recorded, with no tokens known.

        `sent_prompt_tokens`: the request had been sent (its body reached the connection) and
        its prompt was estimated at that many tokens. DeepSeek may bill such a prompt, so the
        row keeps the estimate, marked possibly billed, apart from the measured tokens.
        """
        row = self._prices.row(model, as_utc(self._clock()))
        estimate = None
        if sent_prompt_tokens is not None:
            # Priced as cache misses: an upper bound. Which part would have hit is unknowable
            # (DeepSeek persists prefix units at request boundaries, and an aborted request may
            # end before its own do), and a bound never understates what the user may owe; the
            # balance, when readable, says what was billed.
            estimate = PossiblyBilled(sent_prompt_tokens, row.cost(0, sent_prompt_tokens, 0))
        self._ledger.record(
            model=model,
            hit=0,
            miss=0,
            output=0,
            cost=Decimal(0),
            currency=row.currency,
            outcome=Outcome.CANCELLED,
            latency_ms=latency_ms,
            session_id=self._session_id,
            possibly_billed=estimate,
            paced=paced,
        )
        self._after_record()

    def on_success(self) -> None:
        """A request was answered."""
        self._state.on_success()

    def on_error(self, exc: DeepSeekError, *, model: str | None, latency_ms: int) -> None:
        """A request failed: record it (with any usage a partial answer carried), update state."""
        partial = exc.partial if isinstance(exc, ConnectionFailed) else None
        if model is not None and not isinstance(exc, NoApiKey):
            self._ledger.record(
                model=model,
                hit=partial.usage.hit if partial and partial.usage else 0,
                miss=partial.usage.miss if partial and partial.usage else 0,
                output=partial.usage.output if partial and partial.usage else 0,
                cost=self._cost(model, partial.usage if partial else None),
                currency=self._prices.row(model, as_utc(self._clock())).currency,
                outcome=Outcome.ERROR,
                latency_ms=latency_ms,
                session_id=self._session_id,
                error=type(exc).__name__ + (f" {exc.status}" if exc.status else ""),
            )
        kind = error_kind(exc)
        if kind is not None:
            self._state.on_error(kind)
        self._after_record()

    def _cost(self, model: str, usage: Usage | None) -> Decimal:
        if usage is None:
            return Decimal(0)
        return self._prices.cost(model, as_utc(self._clock()), usage.hit, usage.miss, usage.output)

    def now(self) -> datetime:
        """The budget's clock (the time usage and balance checks are recorded at)."""
        return self._clock()

    def on_balance(self, balance: Balance, asked_at: datetime | None = None) -> None:
        """A balance check answered: kept in the ledger (the grant's authority), prices checked.

        ``asked_at``: when the check was sent. The balance is kept as of then, not of its answer:
        usage recorded while it was on its way may not be in it, and must still come off it.
        """
        now = asked_at if asked_at is not None else self._clock()
        self._balance_checked_at = now
        self._active_since_balance = False
        self._balance = BalanceView.from_balance(
            balance.is_available, balance.infos, now, prefer_currency=self._grant_config.currency
        )
        try:
            for info in balance.infos:
                self._ledger.record_balance(
                    BalanceCheck(
                        now,
                        info.currency,
                        balance.is_available,
                        info.total,
                        info.granted,
                        info.topped_up,
                    )
                )
        except sqlite3.Error as exc:
            logger.error("cannot keep the balance in the ledger: %s", exc)
        self._state.on_balance(balance.is_available)
        self._price_check = self._check_prices()
        self._on_change()

    def _check_prices(self) -> PriceCheck | None:
        """Compare the balance's deltas with the ledger; say so once when the table is off."""
        grant = self._state.grant
        if grant is None:
            return None
        try:
            check = price_check_from_ledger(
                self._ledger, self._grant_config.currency, grant.grant_start, self._prices
            )
        except sqlite3.Error as exc:
            logger.error("cannot compare the balance with the ledger: %s", exc)
            return None
        if check is not None and check.disagrees:
            key = f"pricecheck:{check.end.date().isoformat()}"
            if self._ledger.claim_meta(key, "shown"):
                self._messages.append(
                    (
                        f"DeepSeek FIM: the price table looks off: {price_check_text(check)}",
                        "warning",
                    )
                )
        return check

    def balance_failed(self) -> None:
        """A balance check failed (e.g. the key may not read balances): retry only later."""
        self._balance_checked_at = self._clock()
        self._active_since_balance = False

    def accepted(self, completion_id: str, accepted_chars: int | None) -> None:
        """The user accepted (part of) a suggestion."""
        pending = self._pending.get(completion_id)
        if pending is not None:
            pending.update(outcome=Outcome.ACCEPTED, accepted_chars=accepted_chars)
            return
        if not self._ledger.set_outcome_by_request(completion_id, Outcome.ACCEPTED, accepted_chars):
            logger.warning("accept for an unknown completion %r", completion_id)  # one line
        self._after_record()

    def shown(self, completion_id: str) -> None:
        """An answer recorded as unused (nobody waited for it) was shown after all."""
        pending = self._pending.get(completion_id)
        if pending is not None:
            pending.update(outcome=Outcome.SHOWN)
            return
        self._ledger.set_outcome_by_request(completion_id, Outcome.SHOWN)
        self._after_record()

    def resume(self) -> None:
        """The user asked to resume after a pause."""
        self._state.on_resume()
        self._on_change()

    def _after_record(self) -> None:
        # The grant figures are re-read when the (coalesced) payload is built, not here on the
        # completion's path; local exhaustion is noticed at the next notification.
        self._on_change()

    def _refresh_grant(self) -> None:
        grant = grant_status(self._ledger, self._grant_config, clock=self._clock)
        self._state.on_grant(grant)
        for notice in claim_notices(self._ledger, grant, self._state.state()):
            self._messages.append((notice.message, notice.severity))

    # ----- for the clients

    @property
    def state_name(self) -> str:
        """The state the payload shows."""
        return str(self.payload()["state"])

    def payload(self) -> dict[str, Any]:
        """The `deepseekFim/budget` payload, with the figures re-read from the shared ledger."""
        self.flush()
        self._refresh_grant()
        document = State(self._document_state) if self._document_state else None
        payload = payload_for(
            self._state,
            now=self._clock(),
            document=document,
            balance=self._balance,
            last=self._last,
            price_check=self._price_check,
            pace=self.pace(),
        )
        if self._document_message and payload["state"] == self._document_state:
            payload["message"] = self._document_message
        if self._context_text is not None:
            payload["tooltip"] += f"\nContext of the last prompt: {self._context_text}"
        return payload

    def set_context(self, text: str | None) -> None:
        """Say in the tooltip what context went into the last prompt (files and tokens)."""
        if text != self._context_text:
            self._context_text = text
            self._on_change()

    def status_payload(self, extra_session: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `deepseekFim/status` payload: the budget plus session stats and the per-day table."""
        payload = self.payload()
        grant = self._state.grant
        assert grant is not None
        days = self._ledger.per_day(grant.grant_start, grant.today)
        result = status_payload(payload, self._ledger.session_stats(self._session_id), days)
        result["daily"] = daily_json(grant, days)
        if extra_session:
            result["session"].update(extra_session)
        return result

    def seconds_until_state_changes(self) -> float | None:
        """Seconds until the state changes by itself (a backoff ends), or None."""
        moment = self._state.next_change_at()
        if moment is None:
            return None
        return max((moment - as_utc(self._clock())).total_seconds(), 0.0)

    def take_messages(self) -> list[tuple[str, MessageKind]]:
        """Messages to show once (threshold crossings, ignored settings)."""
        messages, self._messages = self._messages, []
        return messages

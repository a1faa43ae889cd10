from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from deepseek_fim.budget.grant import GrantConfig, GrantStatus, compute_grant
from deepseek_fim.budget.ledger import Totals
from deepseek_fim.budget.state import (
    UNREACHABLE_FLOOR_S,
    Backoff,
    BudgetState,
    State,
    should_check_balance,
)

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _grant(used: int = 0, today: date = date(2026, 11, 27)) -> GrantStatus:
    return compute_grant(
        # `used` cache-miss tokens, priced so that their share of the USD 8.40 grant is their
        # share of the advertised 5M tokens (the thresholds are shares of money).
        Totals(miss=used, cost_by_currency={"USD": Decimal(used) * Decimal("8.40") / 5_000_000}),
        [],
        config=GrantConfig(),
        grant_start=date(2026, 11, 20),
        start_source="setting",
        today=today,
    )


def _machine(rng: float = 1.0, **kw: object) -> tuple[BudgetState, Clock]:
    clock = Clock()
    return BudgetState(clock=clock, rng=lambda: rng, **kw), clock  # type: ignore[arg-type]


def test_starts_ok_and_may_send() -> None:
    machine, _ = _machine()
    assert machine.state() is State.OK
    assert machine.may_send()
    assert machine.retry_at() is None and machine.paused is None


def test_no_key_until_key_set() -> None:
    machine, _ = _machine(has_key=False)
    assert machine.state() is State.NO_KEY
    assert not machine.may_send()
    machine.on_key_changed(True)
    assert machine.state() is State.OK and machine.may_send()
    machine.on_key_changed(False)
    assert machine.state() is State.NO_KEY and not machine.may_send()


def test_402_pauses_until_balance_available() -> None:
    machine, _ = _machine()
    machine.on_error(402)
    assert machine.state() is State.EXHAUSTED
    assert machine.paused is State.EXHAUSTED
    assert not machine.may_send()
    assert machine.balance_check_due
    machine.on_success()  # a late answer of an earlier request does not end the pause
    assert not machine.may_send()
    machine.on_balance(False)
    assert not machine.balance_check_due
    assert machine.state() is State.EXHAUSTED and not machine.may_send()
    machine.on_balance(True)
    assert machine.state() is State.OK and machine.may_send()


@pytest.mark.parametrize("leave", ["key", "resume"])
def test_402_pause_ends_on_key_change_or_resume(leave: str) -> None:
    machine, _ = _machine()
    machine.on_error(402)
    if leave == "key":
        machine.on_key_changed(True)
    else:
        machine.on_resume()
    assert machine.state() is State.OK and machine.may_send()


def test_balance_unavailable_pauses() -> None:
    machine, _ = _machine()
    machine.on_balance(False)
    assert machine.state() is State.EXHAUSTED and not machine.may_send()


def test_401_pauses_and_only_key_or_resume_end_it() -> None:
    machine, _ = _machine()
    machine.on_error(401)
    assert machine.state() is State.AUTH_FAILED and not machine.may_send()
    machine.on_balance(True)
    assert machine.state() is State.AUTH_FAILED and not machine.may_send()
    machine.on_balance(False)  # does not turn authFailed into exhausted
    assert machine.state() is State.AUTH_FAILED
    machine.on_key_changed(True)
    assert machine.state() is State.OK and machine.may_send()
    machine.on_error(401)
    machine.on_resume()
    assert machine.may_send()


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_throttled_backs_off_until_retry_at(status: int) -> None:
    machine, clock = _machine(rng=1.0)
    machine.on_error(status)
    assert machine.state() is State.THROTTLED
    assert machine.retry_at() == T0 + timedelta(seconds=1)
    assert machine.next_change_at() == machine.retry_at()
    assert not machine.may_send()
    clock.advance(0.999)
    assert not machine.may_send()
    clock.advance(0.001)
    assert machine.may_send()
    assert machine.state() is State.OK
    assert machine.retry_at() is None


def test_backoff_doubles_to_the_cap_and_resets_on_success() -> None:
    machine, clock = _machine(rng=1.0)
    delays = []
    for _ in range(9):
        machine.on_error(429)
        retry = machine.retry_at()
        assert retry is not None
        delays.append((retry - clock.now).total_seconds())
        clock.now = retry
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    machine.on_success()
    machine.on_error(503)
    retry = machine.retry_at()
    assert retry is not None and (retry - clock.now).total_seconds() == 1


def test_jitter_is_injected() -> None:
    low, _ = _machine(rng=0.0)
    low.on_error(429)
    low.on_error(429)
    assert low.retry_at() == T0 + timedelta(seconds=1)  # ceiling 2 s, jitter 0 -> half of it
    assert Backoff(base=1, cap=60).delay(3, lambda: 0.5) == 3.0  # 2 + 0.5 x 2
    assert Backoff(base=0.5, cap=4).delay(10, lambda: 0.0) == 2.0


@pytest.mark.parametrize("status", [400, 404, 422])
def test_request_errors_change_nothing(status: int) -> None:
    machine, _ = _machine()
    machine.on_error(status)
    assert machine.state() is State.OK and machine.may_send()


@pytest.mark.parametrize("kind", ["timeout", "connection"])
def test_offline_until_a_success(kind: str) -> None:
    machine, clock = _machine(rng=1.0)
    machine.on_error(kind)  # type: ignore[arg-type]
    assert machine.state() is State.OFFLINE
    assert not machine.may_send()
    assert machine.retry_at() == T0 + timedelta(seconds=1)
    clock.advance(1)
    assert machine.may_send()
    assert machine.state() is State.OFFLINE  # still unproven
    machine.on_error("connection")
    assert machine.retry_at() == clock.now + timedelta(seconds=2)
    clock.advance(2)
    machine.on_success()
    assert machine.state() is State.OK and machine.may_send()


def test_unreachable_is_offline_with_a_floor_not_a_backoff() -> None:
    machine, clock = _machine()
    for _ in range(12):  # a long outage: a try at every pause, each refused
        machine.on_error("unreachable")
        assert machine.state() is State.OFFLINE
        assert machine.retry_at() is None  # never a doubling wait
        assert not machine.may_send()
        assert machine.wait_before_send() == UNREACHABLE_FLOOR_S
        clock.advance(0.5)
        assert machine.wait_before_send() == UNREACHABLE_FLOOR_S - 0.5
        clock.advance(UNREACHABLE_FLOOR_S - 0.5)
        assert machine.may_send() and machine.wait_before_send() == 0.0
        assert machine.state() is State.OFFLINE  # still unproven
    machine.on_success()
    assert machine.state() is State.OK and machine.may_send()


def test_unreachable_leaves_a_throttling_backoff_alone() -> None:
    machine, clock = _machine(rng=0.0)
    machine.on_error(429)
    machine.on_error(429)  # second failure: 1 s
    clock.advance(1)
    machine.on_error("unreachable")
    clock.advance(UNREACHABLE_FLOOR_S)
    machine.on_error(429)  # the API is back and still busy: the doubling goes on (2 s)
    assert machine.retry_at() == clock.now + timedelta(seconds=2)
    assert machine.wait_before_send() is None


def test_pauses_and_backoff_outrank_the_floor() -> None:
    machine, _ = _machine()
    machine.on_error("unreachable")
    machine.on_error(402)
    assert machine.wait_before_send() is None and machine.state() is State.EXHAUSTED
    machine.on_resume()  # a resume (or a new key) ends the floor too
    assert machine.wait_before_send() == 0.0


def test_disabled_and_excluded() -> None:
    machine, _ = _machine()
    assert machine.state(document=State.EXCLUDED) is State.EXCLUDED
    assert machine.may_send()  # excluded is per document; the caller never sends that file
    machine.set_enabled(False)
    assert machine.state() is State.DISABLED
    assert machine.state(document=State.EXCLUDED) is State.DISABLED
    assert not machine.may_send()
    machine.set_enabled(True)
    assert machine.state() is State.OK


def test_priorities() -> None:
    machine, _ = _machine(has_key=False)
    machine.on_error(429)
    assert machine.state() is State.NO_KEY
    machine.has_key = True
    machine.on_error(402)
    assert machine.state() is State.EXHAUSTED  # a pause outranks backoff
    machine.on_resume()
    machine.on_grant(_grant(used=4_500_000))
    machine.on_error("connection")
    assert machine.state() is State.OFFLINE  # outranks low


def test_grant_low_expired_and_local_exhaustion() -> None:
    machine, _ = _machine()
    machine.on_grant(_grant(used=1_000_000))
    assert machine.state() is State.OK
    machine.on_grant(_grant(used=4_100_000))
    assert machine.state() is State.LOW and machine.may_send()
    machine.on_grant(_grant(used=100, today=date(2026, 12, 20)))
    assert machine.state() is State.EXPIRED and machine.may_send()
    machine.on_grant(_grant(used=5_000_000))
    assert machine.state() is State.EXHAUSTED and not machine.may_send()
    assert machine.grant is not None and machine.grant.exhausted


def test_balance_overrides_local_exhaustion_until_a_402() -> None:
    machine, _ = _machine()
    machine.on_grant(_grant(used=5_000_000))
    assert not machine.may_send()
    machine.on_balance(True)  # topped up: the local count alone no longer pauses
    assert machine.may_send()
    assert machine.state() is State.LOW
    machine.on_error(402)
    assert not machine.may_send()
    machine.on_balance(True)
    assert machine.may_send()


def test_resume_overrides_local_exhaustion_and_key_change_does_not() -> None:
    machine, _ = _machine()
    machine.on_grant(_grant(used=6_000_000))
    machine.on_resume()
    assert machine.may_send()
    machine.on_key_changed(True)
    assert not machine.may_send()  # a new key starts unproven: the local count pauses again


def test_should_check_balance() -> None:
    assert should_check_balance(T0, None, active=False, after_402=False)
    assert should_check_balance(T0, T0, active=False, after_402=True)
    assert should_check_balance(T0 + timedelta(minutes=10), T0, active=True, after_402=False)
    assert not should_check_balance(
        T0 + timedelta(minutes=9, seconds=59), T0, active=True, after_402=False
    )
    assert not should_check_balance(T0 + timedelta(hours=5), T0, active=False, after_402=False)
    assert should_check_balance(
        T0 + timedelta(minutes=2), T0, active=True, after_402=False, interval=timedelta(minutes=1)
    )


def test_document_state_outranks_the_account_state() -> None:
    machine, _ = _machine()
    machine.on_error(402)
    assert machine.state() is State.EXHAUSTED
    # A language switched off, or a base URL that cannot be used, is what the user must fix first.
    assert machine.state(document=State.DISABLED) is State.DISABLED
    assert machine.state(document=State.OFFLINE) is State.OFFLINE


def test_resume_asks_for_a_balance_check() -> None:
    # After a top-up the balance, which the grant figures follow, has changed.
    machine, _ = _machine()
    machine.on_balance(True)
    assert not machine.balance_check_due
    machine.on_resume()
    assert machine.balance_check_due

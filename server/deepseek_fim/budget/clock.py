"""Time helpers of the budget: an injectable clock and the ledger's fixed-width UTC timestamps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""A callable returning the current time as an aware datetime (converted to UTC where used)."""


def utc_now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Return `moment` in UTC; a naive datetime is refused because its zone is unknown."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the budget needs aware datetimes (got a naive one)")
    return moment.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """Return `moment` as fixed-width UTC ISO text, so that text order is time order in SQL."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_utc_seconds(moment: datetime) -> str:
    """Return `moment` as `2026-11-27T10:00:00Z` (for payloads)."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_utc(text: str) -> datetime:
    """Parse a timestamp written by `iso_utc` (or any ISO text with a zone) into aware UTC."""
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))

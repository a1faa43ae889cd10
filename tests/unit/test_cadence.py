"""The wait inside a word follows the user's own key gaps once enough are known."""

from __future__ import annotations

import pytest

from deepseek_fim.cadence import MIN_SAMPLES, PAUSE_S, Cadence

URI = "file:///a.py"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def type_keys(cadence: Cadence, clock: Clock, keys: str, gap_s: float, uri: str = URI) -> None:
    for key in keys:
        cadence.changed(uri, key)
        clock.now += gap_s


def test_the_setting_applies_until_enough_gaps_are_known() -> None:
    clock = Clock()
    cadence = Cadence(clock)
    type_keys(cadence, clock, "a" * MIN_SAMPLES, 0.05)  # MIN_SAMPLES keys: one gap fewer
    assert cadence.samples == MIN_SAMPLES - 1
    assert cadence.in_word_wait_s(0.25) == 0.25


def test_a_fast_typist_waits_less_but_never_under_half_the_setting() -> None:
    clock = Clock()
    cadence = Cadence(clock)
    type_keys(cadence, clock, "x" * 60, 0.12)
    assert cadence.in_word_wait_s(0.25) == pytest.approx(0.15)  # 120 ms gaps + 30 ms margin
    type_keys(cadence, clock, "x" * 200, 0.02)
    assert cadence.in_word_wait_s(0.25) == pytest.approx(0.125)  # half of 250 ms


def test_a_slow_typist_waits_more_but_never_over_twice_the_setting() -> None:
    clock = Clock()
    cadence = Cadence(clock)
    type_keys(cadence, clock, "x" * 60, 0.3)
    assert cadence.in_word_wait_s(0.25) == pytest.approx(0.33)
    type_keys(cadence, clock, "x" * 200, 0.9)
    assert cadence.in_word_wait_s(0.25) == pytest.approx(0.5)


def test_zero_still_means_no_wait() -> None:
    clock = Clock()
    cadence = Cadence(clock)
    type_keys(cadence, clock, "x" * 60, 0.2)
    assert cadence.in_word_wait_s(0.0) == 0.0


def test_only_gaps_after_a_word_character_count() -> None:
    clock = Clock()
    cadence = Cadence(clock)
    # After a space, a colon or a bracket the user often thinks: those gaps are not in-word.
    type_keys(cadence, clock, "a b:c(d", 0.1)
    assert cadence.samples == 3  # after a, after b (before ':'), after c


def test_pauses_pastes_and_other_documents_are_not_gaps() -> None:
    clock = Clock()
    cadence = Cadence(clock)
    type_keys(cadence, clock, "ab", PAUSE_S)  # a pause after 'a'
    assert cadence.samples == 0
    cadence.changed(URI, "x")
    clock.now += 0.1
    cadence.changed(URI, "pasted text")
    clock.now += 0.1
    cadence.changed(URI, "y")
    clock.now += 0.1
    cadence.changed("file:///other.py", "z")
    clock.now += 0.1
    cadence.changed(URI, None)  # a deletion
    assert cadence.samples == 0


def test_the_last_gaps_count_most() -> None:
    clock = Clock()
    cadence = Cadence(clock)
    type_keys(cadence, clock, "x" * 300, 0.4)
    type_keys(cadence, clock, "x" * 201, 0.1)  # 200 new gaps push every old one out
    assert cadence.in_word_wait_s(0.25) == pytest.approx(0.13)
    status = cadence.to_json(0.25)
    assert status == {
        "inWordGaps": 200,
        "inWordGapP50Ms": 100,
        "inWordGapP90Ms": 100,
        "inWordWaitMs": 130,
    }

"""The wait before a request: near zero where typists pause, the whole debounce inside a word."""

from __future__ import annotations

import pytest

from deepseek_fim.pauses import line_end_mode, pause_delay, pause_kind


@pytest.mark.parametrize(
    ("line_prefix", "kind"),
    [
        ("", "line-start"),
        ("        ", "line-start"),
        ("    if x:", "opener"),
        ("    if x: ", "opener"),
        ("    call(", "opener"),
        ("    call(a,", "opener"),
        ("    call(a, ", "opener"),
        ("    value = ", "opener"),
        ("    value =", "opener"),
        ("    items = [", "opener"),
        ("    table = {", "opener"),
        ("    return ", "keyword"),
        ("    for ", "keyword"),
        ("    for name in ", "keyword"),
        ("local ", "keyword"),
        ("    retur", "other"),
        ("    value", "other"),
        ("    x1", "other"),
        ("    snake_", "other"),
        ("    self.", "other"),
        ("    total ", "other"),  # a space after a name, not after a keyword
        ("    a + ", "other"),
        ("    call()", "other"),
        ("    call(a,  ", "other"),  # two spaces: no longer right after the comma
    ],
)
def test_the_place_before_the_cursor_is_named(line_prefix: str, kind: str) -> None:
    assert pause_kind(line_prefix) == kind


def test_no_wait_at_a_pause_the_whole_debounce_inside_a_word() -> None:
    assert pause_delay("    ", 0.25) == 0.0
    assert pause_delay("    call(", 0.25) == 0.0
    assert pause_delay("    return ", 0.25) == 0.0
    assert pause_delay("    retur", 0.25) == 0.25
    assert pause_delay("    self.", 0.25) == 0.25


def test_right_after_an_accept_there_is_no_wait_even_inside_a_word() -> None:
    assert pause_delay("    retur", 0.25, just_accepted=True) == 0.0


def test_debounce_zero_means_no_wait_anywhere() -> None:
    for prefix in ("", "    x", "    a + ", "    f("):
        assert pause_delay(prefix, 0.0) == 0.0


def test_the_waits_scale_with_the_setting() -> None:
    assert pause_delay("    retur", 1.0) == 1.0
    assert pause_delay("    self.", 0.5) == 0.5
    assert pause_delay("    call(", 1.0) == 0.0


def test_the_editors_own_wait_is_taken_off_not_added() -> None:
    # VS Code waits 50 ms after a key before it asks: the server waits only what is left.
    assert pause_delay("    retur", 0.25, editor_wait_s=0.05) == pytest.approx(0.2)
    assert pause_delay("    ", 0.25, editor_wait_s=0.05) == 0.0
    assert pause_delay("    retur", 0.03, editor_wait_s=0.05) == 0.0
    assert pause_delay("    retur", 0.25, just_accepted=True, editor_wait_s=0.05) == 0.0


@pytest.mark.parametrize(
    ("line_prefix", "line_suffix", "kind"),
    [
        ("    retur", "", "line-end"),
        ("    total = a", "  ", "line-end"),
        ("    call()", "", "other"),  # after a closer or an operator: the wait stays
        ("    self.", "", "other"),
        ("    retur", ")", "other"),  # text after the cursor: inside the line
        ("    self.", "x()", "other"),
        ("    call(", "", "opener"),
        ("    return ", "", "keyword"),
        ("    ", "", "line-start"),
    ],
)
def test_a_line_end_is_known_from_the_text_after_the_cursor(
    line_prefix: str, line_suffix: str, kind: str
) -> None:
    assert pause_kind(line_prefix, line_suffix) == kind


def test_no_wait_at_a_line_end() -> None:
    assert pause_delay("    retur", 0.25, line_suffix="") == 0.0
    assert pause_delay("    self.", 0.25, line_suffix="") == 0.25
    assert pause_delay("    retur", 0.25, line_suffix=")") == 0.25
    assert pause_delay("    retur", 0.25) == 0.25  # the text after the cursor not known


def test_a_line_end_after_a_word_asks_for_the_next_line_too() -> None:
    assert line_end_mode("line", "    total = a", "") == "next"
    assert line_end_mode("line", "    total = a", ")") == "line"  # inside the line
    assert line_end_mode("line", "    value = self.", "") == "line"  # not after a word
    assert line_end_mode("block", "    for x in items", "") == "block"
    assert line_end_mode("next", "    done()", "") == "next"

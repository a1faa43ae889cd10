"""Post-processing: golden TOML cases (one behaviour per file) and edge cases."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from deepseek_fim.context import FimContext, build_context
from deepseek_fim.postprocess import postprocess

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "postprocess"
CASES = sorted(FIXTURES.glob("*.toml"))


def context_for(prefix: str, suffix: str, language: str = "python") -> FimContext:
    document = prefix + suffix
    lines = document.split("\n")
    line = prefix.count("\n")
    col = len(prefix) - (prefix.rfind("\n") + 1)
    return build_context(lines, line, col, path=f"case.{language}", language_id=language)


def load(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden(path: Path) -> None:
    case = load(path)
    assert case["description"]
    assert ("expected" in case) != bool(case.get("dropped")), "give expected or dropped = true"
    ctx = context_for(case["prefix"], case["suffix"], case.get("language", "python"))
    result = postprocess(case["output"], ctx)
    if case.get("dropped"):
        assert result is None
    else:
        assert result == case["expected"]


@pytest.mark.parametrize(
    "output",
    ["a\r\nb", "x = 1\r\n", "\r\n    y = 2\r\n    z = 3", "a\rb"],
)
def test_carriage_returns_never_reach_the_editor(output: str) -> None:
    for prefix in ("def f():\n    ", "x = "):
        result = postprocess(output, context_for(prefix, ""))
        assert result is None or "\r" not in result


def test_emoji_and_cjk_are_kept_intact() -> None:
    ctx = context_for('label = "', '"')
    assert postprocess('你好 👋🏽 世界"', ctx) == "你好 👋🏽 世界"


def test_line_suffix_with_emoji() -> None:
    ctx = context_for("s = f(", "'😀')")
    assert ctx.mode == "line"
    assert postprocess("x, '😀')", ctx) == "x, "


def test_block_mode_result_has_no_trailing_whitespace() -> None:
    ctx = context_for("def f():\n    ", "")
    result = postprocess("return 1   \n\n  \n", ctx)
    assert result == "return 1"


def test_repetition_is_about_consecutive_identical_lines() -> None:
    ctx = context_for("def f():\n    ", "")
    two = "x += 1\n    x += 1\n    return x"
    assert postprocess(two, ctx) == two
    closers = "if a:\n        if b:\n            pass"
    assert postprocess(closers, ctx) == closers


def test_suffix_repetition_needs_every_compared_line_to_match() -> None:
    ctx = context_for("def f():\n    ", "\n    a = 1\n    b = 2\n")
    # The output repeats "a = 1" but then diverges from the suffix: not a repetition.
    out = "x = 0\n    a = 1\n    c = 3"
    assert postprocess(out, ctx) == out
    assert postprocess("x = 0\n    a = 1\n    b = 2", ctx) == "x = 0"


def test_output_repeating_the_whole_suffix_line_only_is_dropped() -> None:
    ctx = context_for("def f():\n    ", "\n    return 1\n")
    assert postprocess("return 1", ctx) is None


def test_quoted_brackets_do_not_count_for_balance() -> None:
    ctx = context_for("    log(", ")")
    assert postprocess("')')", ctx) == "')'"

"""Post-processing: the golden TOML cases, judged by the document after accepting."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from deepseek_fim.context import FimContext, build_context
from deepseek_fim.postprocess import STEPS, Candidate, postprocess
from deepseek_fim.testing.golden import (
    CURSOR,
    LANGUAGE_FAMILIES,
    UNCHANGED,
    GoldenCase,
    judge,
    load_cases,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "postprocess"
CASES = load_cases(FIXTURES)


def context_for(prefix: str, suffix: str, language: str = "python") -> FimContext:
    lines = (prefix + suffix).split("\n")
    line = prefix.count("\n")
    col = len(prefix) - (prefix.rfind("\n") + 1)
    return build_context(lines, line, col, path=f"case.{language}", language_id=language)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.step}/{c.path.stem}" for c in CASES])
def test_golden(case: GoldenCase) -> None:
    passed, document = judge(case)
    if case.expected is None:
        assert document is None, f"{case.description}\nshown, leaving:\n{document}"
    else:
        assert passed, f"{case.description}\nexpected:\n{case.expected}\ngot:\n{document}"


def test_every_step_has_golden_cases_in_several_language_families() -> None:
    families: dict[str, set[str]] = {}
    for case in CASES:
        assert case.language in LANGUAGE_FAMILIES, case.path
        families.setdefault(case.step, set()).add(case.family)
    for step, seen in families.items():
        assert len(seen) >= 3 or step == "newlines", (step, seen)
    steps_with_cases = {
        "normalize_newlines": "newlines",
        "remove_code_fence": "fence",
        "drop_echo": "echo",
        "keep_lines": "lines",
        "normalize_indentation": "indentation",
        "limit_scope": "scope",
        "trim_repetition": "repetition",
        "tidy_whitespace": "whitespace",
        "cut_suffix_overlap": "overlap",
        "replace_closers": "closers",
    }
    assert {step.__name__ for step in STEPS} == set(steps_with_cases)
    for directory in steps_with_cases.values():
        assert sum(case.step == directory for case in CASES) >= 3, directory


def test_the_unchanged_set_is_at_least_as_large_as_the_repairs() -> None:
    counts = Counter(case.step == UNCHANGED for case in CASES)
    assert counts[True] >= counts[False] > 0


def test_unchanged_cases_expect_the_raw_answer_inserted() -> None:
    for case in CASES:
        if case.step == UNCHANGED:
            assert case.expected == case.document.replace(CURSOR, case.output), case.path


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.step == UNCHANGED], ids=lambda c: c.path.stem
)
def test_unchanged_answers_pass_every_step_untouched(case: GoldenCase) -> None:
    result = postprocess(case.output, context_for(case.prefix, case.suffix, case.language))
    assert result == Candidate(case.output)


@pytest.mark.parametrize(
    "output",
    ["a\r\nb", "x = 1\r\n", "\r\n    y = 2\r\n    z = 3", "a\rb"],
)
def test_carriage_returns_never_reach_the_editor(output: str) -> None:
    for prefix in ("def f():\n    ", "x = "):
        result = postprocess(output, context_for(prefix, ""))
        assert result is None or "\r" not in result.text


def test_line_suffix_with_emoji() -> None:
    ctx = context_for("s = f(", "'😀')")
    assert ctx.mode == "line"
    result = postprocess("x, '😀')", ctx)
    assert result is not None
    assert "s = f(" + result.text + ctx.line_suffix[len(result.replace) :] == "s = f(x, '😀')"


def test_range_covers_closers_the_answer_rewrites() -> None:
    ctx = context_for("console.log(", ")")
    assert postprocess("a, b);", ctx) == Candidate("a, b);", replace=")")


def test_suffix_repetition_needs_every_compared_line_to_match() -> None:
    ctx = context_for("def f():\n    ", "\n    a = 1\n    b = 2\n")
    # The output repeats "a = 1" but then diverges from the suffix: not a repetition.
    out = "x = 0\n    a = 1\n    c = 3"
    assert postprocess(out, ctx) == Candidate(out)
    assert postprocess("x = 0\n    a = 1\n    b = 2", ctx) == Candidate("x = 0")


def test_quoted_brackets_do_not_count_for_balance() -> None:
    ctx = context_for("    log(", ")")
    assert postprocess("')')", ctx) == Candidate("')'")


def test_empty_and_blank_answers_show_nothing() -> None:
    for text in ("", "   ", "\n\n", "```\n```"):
        assert postprocess(text, context_for("def f():\n    ", "")) is None


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.__name__)
def test_every_step_documents_the_model_behaviour_it_repairs(step: object) -> None:
    doc = getattr(step, "__doc__", "") or ""
    assert "Repairs" in doc

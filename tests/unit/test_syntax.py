"""The language-neutral reading of code lines."""

from __future__ import annotations

import pytest

from deepseek_fim import syntax


@pytest.mark.parametrize(
    ("line", "opens"),
    [
        ("def f(x):", True),
        ("if (x) {", True),
        ("for i = 1, n do", True),
        ("if ok then", True),
        ("const f = () =>", True),
        ("local function f(a, b)", True),
        ("items = [", True),
        ("server:", True),
        ("x = 1", False),
        ("print('a:')", False),
        ("x = f(a)  # note:", False),
        ("return a // b", False),
    ],
)
def test_opens_block(line: str, opens: bool) -> None:
    assert syntax.opens_block(line) is opens


@pytest.mark.parametrize(
    ("line", "closer"),
    [
        ("}", True),
        ("  });", True),
        ("end", True),
        ("],", True),
        ("} else {", False),
        ("x()", False),
    ],
)
def test_is_closer_line(line: str, closer: bool) -> None:
    assert syntax.is_closer_line(line) is closer


def test_comments_are_only_after_whitespace() -> None:
    assert syntax.strip_line_comment("i-- // dec") == "i-- "
    assert syntax.strip_line_comment("this.#x = 1") == "this.#x = 1"
    assert syntax.strip_line_comment("s = '# not' # yes") == "s = '# not' "


def test_bracket_debt_and_depth() -> None:
    assert syntax.bracket_debt("f(a, [b])") == 0
    assert syntax.bracket_debt("f(a))") == 1
    assert syntax.bracket_debt("')'") == 0
    assert syntax.depth_change("}) + g(") == (-2, -1)


def test_identifier_tail_and_width() -> None:
    assert syntax.identifier_tail("port = cfg.ge") == "cfg.ge"
    assert syntax.identifier_tail("x = ") == ""
    assert syntax.width("\t  ") == 6

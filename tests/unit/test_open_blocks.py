"""The blocks a document leaves open at the cursor: enclosing header columns, needed closers."""

from __future__ import annotations

import pytest

from deepseek_fim.context import FimContext, build_context
from deepseek_fim.postprocess.open_blocks import closer_needed, stands_at_header_column


def ctx(document: str, language: str) -> FimContext:
    prefix, suffix = document.split("║")
    lines = (prefix + suffix).split("\n")
    line = prefix.count("\n")
    col = len(prefix) - (prefix.rfind("\n") + 1)
    return build_context(lines, line, col, path=f"a.{language}", language_id=language)


@pytest.mark.parametrize(
    ("document", "language", "text", "needed"),
    [
        ("function f() {\n  g();\n║", "javascript", "}", True),
        ("function f() {\n  g();\n║\n}", "javascript", "}", False),
        ("object A {\n  def f = {\n    1\n  }\n║\n}", "scala", "}", False),
        ("object A {\n  def f = {\n    1\n║\n}", "scala", "}", True),
        ("f(a, {\n  b: 1\n║", "javascript", "})", True),
        ("f(a, {\n  b: 1\n║", "javascript", "}\n}\n}", False),
        ("function f()\n  if x then y() end\n║", "lua", "end", True),
        ("function f()\n  if x then y() end\nend\n║", "lua", "end", False),
        ('x = a[end]\nfor i in 1:n\n    s = "end"\n║', "julia", "end", True),
        ("vim.keymap.set('n', 'x', function()\n  go()\n║", "lua", "end)", True),
        ("[1, 2].each do |x|\n  p x\n║", "ruby", "end", True),
        ("def f\n  1\nend\n║", "ruby", "end", False),
        ("function f() {\n║", "javascript", "g()", False),
        ("function f() {\n║", "javascript", "end", False),
    ],
)
def test_closer_needed(document: str, language: str, text: str, needed: bool) -> None:
    assert closer_needed(ctx(document, language), text) is needed


@pytest.mark.parametrize(
    ("document", "language", "standing"),
    [
        ("if ok\n  a\n║", "ruby", True),
        ("function f() {\n  if (x) {\n    a();\n  ║", "javascript", True),
        ("function f() {\n  if (x) {\n    a();\n  }\n  ║", "javascript", False),
        ("def f():\n    a = 1\n  ║", "python", False),
        ("x = 1\n║", "python", False),
    ],
)
def test_stands_at_header_column(document: str, language: str, standing: bool) -> None:
    context = ctx(document, language)
    assert stands_at_header_column(context, len(context.line_prefix)) is standing

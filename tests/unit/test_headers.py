"""Block headers by language: what asks for a block, and what must not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepseek_fim import headers
from deepseek_fim.modes import completion_mode


@pytest.mark.parametrize(
    ("language", "line", "mode"),
    [
        # CSS family: selectors and at-rules ask for their rule; declarations do not.
        ("css", ".card", "block"),
        ("css", "#main > ul li", "block"),
        ("css", "a:hover", "block"),
        ("css", "@media (max-width: 600px)", "block"),
        ("scss", "  &__item", "block"),
        ("less", ".button:hover", "block"),
        ("css", "  color: red;", "next"),
        ("css", "  color: re", "line"),
        ("css", "  margin:", "line"),
        ("scss", "$base: 1rem", "line"),
        ("less", "@link: #0645ad", "line"),
        ("scss", '@import "vars"', "next"),
        # Kotlin, Swift, Scala: signatures with their modifiers.
        ("kotlin", "    fun area(): Double", "block"),
        ("kotlin", "    override suspend fun load(id: Int): User", "block"),
        ("swift", "    public mutating func scale(by f: Double)", "block"),
        ("scala", "  implicit def toRich(x: Int): RichInt =", "block"),
        ("kotlin", "    val fun1 = 2", "line"),
        # C#/Java/C: constructors and methods, not calls or declarations.
        ("csharp", "    public Person(string name, int ", "block"),
        ("java", "    public static double area(double r) ", "block"),
        ("java", "    void run() throws IOException", "block"),
        ("c", "static int *make(size_t n)", "block"),
        ("java", "        return compute(a, ", "next"),
        ("java", "        System.out.println(", "block"),
        ("java", "        int x = compute(a)", "next"),
        ("csharp", "        else if (x > 0)", "block"),
        ("c", '    printf("%d", n)', "next"),
        # JS/TS/Vue: methods by name or with modifiers; calls and keywords stay lines.
        ("vue", "    greet", "block"),
        ("javascript", "  async load()", "block"),
        ("typescript", "  private area(r: number): number", "block"),
        ("javascript", "    render(x)", "next"),
        ("javascript", "    return", "line"),
        ("javascript", "    x.y", "line"),
        # ML family: with, ->, = and match arms.
        ("fsharp", "    | Circle r ->", "block"),
        ("fsharp", "let area shape =", "block"),
        ("ocaml", "let describe n = match n with", "block"),
        ("fsharp", "    if a >= b", "block"),
        ("fsharp", "    let x = a <= b", "line"),
        ("haskell", "  case x of", "block"),
        # Ruby, Julia, Lua: do |x|, do x, begin, then.
        ("ruby", "  items.each do |item|", "block"),
        ("julia", "squares = map(xs) do x", "block"),
        ("julia", "result = begin", "block"),
        ("julia", "let a = 1", "block"),
        ("lua", "if ok then", "block"),
        ("ruby", "  total = sum", "line"),
        ("python", "    match = pattern.search(text)", "next"),
        ("python", "    object.attr", "line"),
    ],
)
def test_mode_by_language(language: str, line: str, mode: str) -> None:
    assert completion_mode(line, "", language) == mode


def test_a_signature_with_its_auto_closed_parenthesis_asks_for_a_block() -> None:
    assert completion_mode("    public Person(string name, int ", ")", "csharp") == "block"
    assert completion_mode("    foo(a, ", ")", "csharp") == "line"
    # A header whose parentheses were auto-closed: `if (` asked for a block already.
    assert completion_mode("if (x", ")", "javascript") == "block"
    assert completion_mode("print(x", ")", "python") == "line"


def test_headers_in_other_languages_are_not_taken_for_headers() -> None:
    # A CSS selector rule does not apply to Python, nor ML's trailing `=` to JavaScript.
    assert completion_mode("    .card", "", "python") == "line"
    assert completion_mode("let total =", "", "javascript") == "line"
    assert completion_mode("node->", "", "c") == "line"


@given(st.sampled_from(["css", "scss", "less"]), st.from_regex(r"[a-z-]{1,12}", fullmatch=True))
def test_a_css_declaration_with_a_value_is_never_a_header(language: str, name: str) -> None:
    assert not headers.opens_block(f"  {name}: 1px solid", language)
    assert not headers.opens_block(f"  {name}: 1px solid;", language)


@given(st.from_regex(r"[a-z][a-zA-Z0-9]{0,10}", fullmatch=True))
def test_a_call_statement_is_never_a_c_signature(name: str) -> None:
    assert not headers.c_signature(f"{name}(a, b);")
    assert not headers.c_signature(f"return {name}(a, ")
    assert not headers.c_signature(f"x = {name}(a, ")

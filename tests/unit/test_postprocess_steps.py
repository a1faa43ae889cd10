"""Each post-processing step on its own: what it repairs, and that it leaves alone what it cannot
decide (the golden files judge the whole pipeline)."""

from __future__ import annotations

from deepseek_fim.context import FimContext, build_context
from deepseek_fim.postprocess import Candidate
from deepseek_fim.postprocess.cut_suffix_overlap import cut_suffix_overlap
from deepseek_fim.postprocess.drop_echo import drop_echo
from deepseek_fim.postprocess.keep_lines import keep_lines
from deepseek_fim.postprocess.limit_scope import limit_scope
from deepseek_fim.postprocess.normalize_indentation import normalize_indentation
from deepseek_fim.postprocess.remove_code_fence import remove_code_fence
from deepseek_fim.postprocess.replace_closers import replace_closers
from deepseek_fim.postprocess.trim_repetition import trim_repetition


def ctx(document: str, language: str = "python") -> FimContext:
    """The context for a document whose last ``|`` is the cursor (F# arms have their own)."""
    prefix, suffix = document.rsplit("|", 1)
    lines = (prefix + suffix).split("\n")
    line = prefix.count("\n")
    col = len(prefix) - (prefix.rfind("\n") + 1)
    return build_context(lines, line, col, path=f"a.{language}", language_id=language)


def test_remove_code_fence() -> None:
    fenced = Candidate("```python\nreturn 1\n```")
    assert remove_code_fence(fenced, ctx("def f():\n    |")) == Candidate("return 1")
    assert remove_code_fence(Candidate("```"), ctx("x\n|", "markdown")) == Candidate("```")
    assert remove_code_fence(Candidate("```\n```"), ctx("def f():\n    |")) is None


def test_drop_echo() -> None:
    assert drop_echo(Candidate("def run(self):"), ctx("    def |")) == Candidate("run(self):")
    assert drop_echo(Candidate("cfg.get('a')"), ctx("x = cfg.ge|")) == Candidate("t('a')")
    # Not the line's content nor the word at the cursor: left alone.
    kept = Candidate("price * qty")
    assert drop_echo(kept, ctx("total = price * |")) is kept
    assert drop_echo(Candidate("return x"), ctx("    return x|")) is None


def test_keep_lines() -> None:
    run_on = Candidate("path)\n\n    def close(self):")
    assert keep_lines(run_on, ctx("        f = open(|)")) == Candidate("path)")
    body = Candidate("{\n        1\n    }")
    assert keep_lines(body, ctx("    fn one() -> i32 |", "rust")) is body
    assert keep_lines(Candidate("\n  b: 2"), ctx("m:\n  a: 1|", "yaml")) == Candidate("\n  b: 2")
    assert keep_lines(Candidate("\nother()"), ctx("def f():\n    g()|")) is None


def test_normalize_indentation() -> None:
    header = ctx("def f():\n|")
    assert normalize_indentation(Candidate("return 1"), header) == Candidate("    return 1")
    shifted = Candidate("    a = 1\n        b = 2")
    around = ctx("def f():\n    x = 0\n    |\n    return x\n")
    assert normalize_indentation(shifted, around) == Candidate("a = 1\n    b = 2")
    # No line above or below tells the column: only a repeated indent would be removed.
    alone = Candidate("  a = 1")
    assert normalize_indentation(alone, ctx("    |")) is alone


def test_limit_scope() -> None:
    run_on = Candidate("a()\n\ndef g():\n    pass")
    assert limit_scope(run_on, ctx("def f():\n    |")) == Candidate("a()")
    closer = Candidate("a();\n}\n\nfunction g() {}")
    assert limit_scope(closer, ctx("function f() {\n  |\n}", "javascript")) == Candidate("a();\n}")
    branch = Candidate("a()\nelse:\n    b()")
    assert limit_scope(branch, ctx("if x:\n    |")) is branch


def test_trim_repetition() -> None:
    loop = Candidate("go()\n    go()\n    go()")
    assert trim_repetition(loop, ctx("def f():\n    |")) == Candidate("go()")
    twice = Candidate("x += 1\n    x += 1\n    return x")
    assert trim_repetition(twice, ctx("def f(x):\n    |")) is twice
    closers = Candidate("a()\n    }\n  }\n}")
    assert trim_repetition(closers, ctx("f() {\n    |", "javascript")) is closers


def test_cut_suffix_overlap() -> None:
    into = Candidate("y = 1\n    return y")
    assert cut_suffix_overlap(into, ctx("def f():\n    |\n    return y\n")) == Candidate("y = 1")
    diverges = Candidate("y = 1\n    return y\n    z()")
    assert cut_suffix_overlap(diverges, ctx("def f():\n    |\n    return y\n")) is diverges


def test_replace_closers() -> None:
    assert replace_closers(Candidate("a, b);"), ctx("log(|)", "javascript")) == Candidate(
        "a, b);", replace=")"
    )
    assert replace_closers(Candidate("v)"), ctx("sum(|)")) == Candidate("v")
    own = Candidate("foo(a)")
    assert replace_closers(own, ctx("print(|)")) is own
    text_after = Candidate("a + ")
    assert replace_closers(text_after, ctx("return |b")) is text_after


def test_remove_code_fence_forms() -> None:
    body = ctx("def f():\n    |")
    prose = Candidate("Here is the code:\n```python\nreturn 1\n```")
    assert remove_code_fence(prose, body) == Candidate("return 1")
    assert remove_code_fence(Candidate("return 1```"), body) == Candidate("return 1")
    assert remove_code_fence(Candidate('````py title="a"\nreturn 1\n````'), body) == Candidate(
        "return 1"
    )
    # A sentence that is code (a call, an assignment) is never taken for prose.
    code = Candidate("Run(a, b)\n```")
    assert remove_code_fence(code, body) == Candidate("Run(a, b)")


def test_drop_echo_of_lines_above() -> None:
    header = ctx("def add(a, b):\n    |")
    assert drop_echo(Candidate("def add(a, b):\n    return a + b"), header) == Candidate(
        "    return a + b"
    )
    # One statement repeated from the line above may be meant.
    twice = Candidate("x += 1\n    return x")
    assert drop_echo(twice, ctx("def f(x):\n    x += 1\n    |")) is twice


def test_keep_lines_keeps_a_header_with_its_body_in_any_mode() -> None:
    allman = Candidate("age)\n    {\n        Age = age;\n    }")
    context = ctx("class P\n{\n    public P(int |", "csharp")
    assert context.mode == "block"
    assert keep_lines(allman, context) is allman
    arms = Candidate(" 1\n    | B -> 2")
    assert keep_lines(arms, ctx("    | A ->|", "fsharp")) is arms
    # A line that is no header keeps its one line.
    assert keep_lines(Candidate("1\n    b = 2"), ctx("    a = |")) == Candidate("1")


def test_limit_scope_takes_an_allman_brace_as_the_headers() -> None:
    body = Candidate("age)\n    {\n        Age = age;\n    }\n\n    public void Other()")
    context = ctx("class P\n{\n    public P(int |", "csharp")
    assert limit_scope(body, context) == Candidate("age)\n    {\n        Age = age;\n    }")


def test_trim_repetition_of_groups() -> None:
    loop = Candidate("a()\n    b()\n    a()\n    b()\n    a()\n    b()")
    assert trim_repetition(loop, ctx("def f():\n    |")) == Candidate("a()\n    b()")
    assert trim_repetition(Candidate("go()\n    go()"), ctx("def f():\n    |")) == Candidate("go()")
    closers = Candidate("x()\n  }\n}\n  }\n}")
    assert trim_repetition(closers, ctx("f() {\n  g() {\n    |", "javascript")) is closers


def test_cut_suffix_overlap_of_a_long_run() -> None:
    following = "\n".join(f"    v{i} = {i}" for i in range(6))
    context = ctx("def f():\n    |\n" + following + "\n")
    run_on = Candidate("w = 0\n" + following)
    assert cut_suffix_overlap(run_on, context) == Candidate("w = 0")


def test_normalize_indentation_with_tabs() -> None:
    context = ctx("func f() {\n\tx := 0\n\t|\n\treturn x\n}", "go")
    deep = Candidate("\tif x > 0 {\n\t\t\tx--\n\t\t}")
    assert normalize_indentation(deep, context) == Candidate("if x > 0 {\n\t\tx--\n\t}")
    # Tabs mixed with spaces: no column is trusted, the answer is left as written.
    mixed = ctx("function f()\n  if x then\n\ty()\n\t|\n  end\nend", "lua")
    odd = Candidate("z()\n      w()")
    assert normalize_indentation(odd, mixed) is odd

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
    """The context for a document with one ``|`` as the cursor."""
    prefix, suffix = document.split("|")
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

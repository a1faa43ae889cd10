"""The FIM context: windows, grid-stable prompt starts, clamping, mode, O(window) reads."""

from __future__ import annotations

import sysconfig
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload

import pytest

from deepseek_fim.context import (
    DEFAULT_PREFIX_TOKENS,
    FimContext,
    build_context,
    completion_mode,
)
from deepseek_fim.languages import comment_prefix, language_from_path
from deepseek_fim.tokens import estimate_tokens


def source_lines(name: str = "argparse.py") -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return (stdlib / name).read_text(encoding="utf-8").split("\n")


class CountingLines(Sequence[str]):
    """A list of lines that counts every line read."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self.reads: set[int] = set()
        self.accesses = 0

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            raise AssertionError("build_context must not slice the whole document")
        self.accesses += 1
        self.reads.add(index % len(self._lines))
        return self._lines[index]

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("build_context must not iterate the whole document")


def ctx_at(lines: Sequence[str], line: int, col: int, **kw: object) -> FimContext:
    return build_context(lines, line, col, path="src/app.py", language_id="python", **kw)  # type: ignore[arg-type]


def test_prompt_ends_exactly_at_cursor_and_suffix_starts_there() -> None:
    lines = ["def f(a, b):", "    return a + b", "", "print(f(1, 2))"]
    ctx = ctx_at(lines, 1, 12)
    assert ctx.prompt.endswith("def f(a, b):\n    return a")
    assert ctx.suffix.startswith(" + b\n\nprint(f(1, 2))")
    assert ctx.line_prefix == "    return a"
    assert ctx.line_suffix == " + b"
    assert ctx.prefix_start_line == 0
    assert ctx.mode == "line"


@pytest.mark.parametrize(
    ("language", "path", "first_line"),
    [
        ("python", "src/app.py", "# Path: src/app.py"),
        ("typescript", "src/app.ts", "// Path: src/app.ts"),
        ("lua", "lua/x/init.lua", "-- Path: lua/x/init.lua"),
        ("html", "index.html", "<!-- Path: index.html -->"),
    ],
)
def test_header_uses_the_languages_comment_syntax(
    language: str, path: str, first_line: str
) -> None:
    ctx = build_context(["x"], 0, 1, path=path, language_id=language)
    head = ctx.prompt.split("\n")
    assert head[0] == first_line
    assert language in head[1]
    assert ctx.prompt.endswith("\nx")


def test_language_tables() -> None:
    assert comment_prefix("python") == "#"
    assert comment_prefix("typescriptreact") == "//"
    assert comment_prefix("lua") == "--"
    assert comment_prefix("no-such-language") == "//"
    assert language_from_path("a/b/c.py") == "python"
    assert language_from_path("C:\\x\\Y.TSX") == "typescriptreact"
    assert language_from_path("init.lua") == "lua"
    assert language_from_path("Dockerfile") == "dockerfile"
    assert language_from_path("notes.unknownext") is None


def test_empty_document() -> None:
    ctx = ctx_at([], 0, 0)
    assert ctx.line_prefix == ctx.line_suffix == ctx.suffix == ""
    assert ctx.mode == "block"
    assert ctx.prompt.startswith("# Path: src/app.py")
    ctx2 = ctx_at([""], 5, 9)
    assert ctx2.prompt == ctx.prompt


def test_cursor_at_origin() -> None:
    lines = source_lines()
    ctx = ctx_at(lines, 0, 0)
    assert ctx.line_prefix == ""
    assert ctx.prefix_start_line == 0
    assert ctx.suffix.startswith(lines[0])
    assert ctx.prompt.endswith("\n")  # header, then nothing of the document


@pytest.mark.parametrize(
    ("line", "col"), [(10**9, 0), (10**9, 10**9), (3, 10**9), (-5, -5), (0, -1)]
)
def test_positions_out_of_range_are_clamped(line: int, col: int) -> None:
    lines = ["alpha", "beta", "gamma", "delta"]
    ctx = ctx_at(lines, line, col)
    document = "\n".join(lines)
    body = ctx.prompt.split("\n", 2)[2]
    assert document.startswith(body)
    # The suffix starts at the cursor and keeps the first lines after it.
    assert document[len(body) :].startswith(ctx.suffix)
    if line >= len(lines):
        assert ctx.line_prefix == "delta" and ctx.suffix == ""


def test_cjk_and_emoji_columns_are_code_points() -> None:
    lines = ["s = '你好😀世界'", "t = 1"]
    ctx = ctx_at(lines, 0, 8)
    assert ctx.line_prefix == "s = '你好😀"
    assert ctx.line_suffix == "世界'"
    assert ctx.prompt.endswith("s = '你好😀")
    assert ctx.suffix == "世界'\nt = 1"


@pytest.mark.parametrize(("prefix_tokens", "suffix_tokens"), [(1500, 500), (300, 100), (50, 20)])
def test_budgets_are_respected(prefix_tokens: int, suffix_tokens: int) -> None:
    lines = source_lines()
    ctx = ctx_at(lines, 1500, 4, prefix_tokens=prefix_tokens, suffix_tokens=suffix_tokens)
    header = "\n".join(ctx.prompt.split("\n")[:2])
    window = ctx.prompt[len(header) + 1 :]
    assert estimate_tokens(window) <= prefix_tokens * 1.02 + 1
    assert estimate_tokens(ctx.suffix) <= suffix_tokens * 1.02 + 1
    # ...and a grid step loses at most half the lines that fit the budget.
    ungridded = ctx_at(lines, 1500, 4, prefix_tokens=prefix_tokens, grid_lines=1)
    assert 0 < ungridded.prefix_start_line <= ctx.prefix_start_line < 1500
    assert 1500 - ctx.prefix_start_line >= (1500 - ungridded.prefix_start_line) / 2
    assert (
        abs(ctx.prompt_tokens - estimate_tokens(ctx.prompt + ctx.suffix))
        <= 0.05 * ctx.prompt_tokens + 2
    )


def test_window_start_is_on_the_grid_when_the_budget_cuts() -> None:
    lines = source_lines()
    for cursor in range(400, 2000, 97):
        # A window of 100 lines or so: a 32-line step never loses half of it (smaller windows
        # halve the step, see test_budgets_are_respected).
        ctx = ctx_at(lines, cursor, 0, grid_lines=32, prefix_tokens=1024)
        assert ctx.prefix_start_line % 32 == 0 or ctx.prefix_start_line == cursor
        assert ctx.prefix_start_line <= cursor


def test_prompt_start_is_stable_while_typing_a_line() -> None:
    base = source_lines() * 2
    lines = base[:2000]
    typed = "        self.assertEqual(parser.parse_args(['--foo', 'bar']).foo, 'bar')"
    prompts: list[str] = []
    starts: list[int] = []
    for n in range(len(typed) + 1):
        current = [*lines, typed[:n]]
        ctx = ctx_at(current, len(current) - 1, n)
        assert ctx.prompt.endswith(typed[:n])
        prompts.append(ctx.prompt)
        starts.append(ctx.prefix_start_line)
    assert len(set(starts)) <= 2
    # Between grid steps the whole prompt before the cursor line is byte-identical.
    for a, b, sa, sb in zip(prompts, prompts[1:], starts, starts[1:], strict=False):
        if sa == sb:
            head = a[: a.rindex("\n") + 1]
            assert b.startswith(head)
    assert len(prompts[0]) > 1000


def test_prompt_start_is_stable_while_typing_new_lines() -> None:
    lines = source_lines()[:2000]
    starts = set()
    for extra in range(40):
        current = [*lines, *(f"    value_{i} = compute({i})" for i in range(extra)), "    x"]
        ctx = ctx_at(current, len(current) - 1, 5, prefix_tokens=1024, grid_lines=32)
        starts.add(ctx.prefix_start_line)
    # 40 new lines move the window by at most two grid steps.
    assert 1 <= len(starts) <= 3


def test_a_kept_start_survives_the_line_that_overflows_the_budget() -> None:
    lines = source_lines()[:2000]
    typed = [f"    value_{i} = compute({i}, {i * 3})" for i in range(60)]
    fresh: set[int] = set()
    kept: list[int] = []
    previous: int | None = None
    for extra in range(len(typed)):
        current = [*lines, *typed[:extra], "    x"]
        cursor = len(current) - 1
        fresh.add(ctx_at(current, cursor, 5).prefix_start_line)
        ctx = ctx_at(current, cursor, 5, keep_start=previous)
        if previous is not None and ctx.prefix_start_line != previous:
            # Moved only once the kept window would exceed a quarter over the budget.
            longer = ctx_at(
                current, cursor, 5, grid_lines=1, prefix_tokens=DEFAULT_PREFIX_TOKENS * 5 // 4
            )
            assert longer.prefix_start_line > previous
        window = ctx.prompt.split("\n", 2)[2]
        assert estimate_tokens(window) <= DEFAULT_PREFIX_TOKENS * 1.25 * 1.02 + 1
        assert ctx.prompt.endswith("\n" + current[-1][:5])
        kept.append(ctx.prefix_start_line)
        previous = ctx.prefix_start_line
    assert len(set(kept)) < len(fresh)  # fewer moves than the start without memory


def test_a_kept_start_never_shortens_the_window() -> None:
    lines = source_lines()[:2000]
    fresh = ctx_at(lines, 1500, 0)
    # After a jump back up the file the old start is after the fresh one: not kept.
    assert ctx_at(lines, 1500, 0, keep_start=1504).prefix_start_line == fresh.prefix_start_line
    # A few lines before the fresh start, within the slack: kept, a little over the budget.
    earlier = fresh.prefix_start_line - 8
    kept = ctx_at(lines, 1500, 0, keep_start=earlier)
    assert kept.prefix_start_line == earlier
    assert kept.prompt.endswith(fresh.prompt.split("\n", 2)[2])
    assert fresh.prompt_tokens < kept.prompt_tokens <= fresh.prompt_tokens + 256
    # Far behind the cursor (beyond the slack): a fresh start.
    assert ctx_at(lines, 1500, 0, keep_start=100).prefix_start_line == fresh.prefix_start_line
    # Whole document in the budget: line 0, whatever was kept.
    assert ctx_at(lines[:20], 19, 0, keep_start=5).prefix_start_line == 0


def test_reads_only_the_windows_of_a_huge_document() -> None:
    lines = CountingLines(source_lines() * 40)
    assert len(lines) > 100_000
    ctx = build_context(lines, 50_000, 3, path="big.py", language_id="python")
    assert ctx.prompt
    assert lines.accesses < 1_000
    assert all(49_000 < i < 51_000 for i in lines.reads)


def test_context_lines_come_first_and_are_counted_apart() -> None:
    context = ["# Definitions in src/util.py:", "# def helper(x):"]
    ctx = ctx_at(["import util", "y = "], 1, 4, context_lines=context)
    head = ctx.prompt.split("import util")[0]
    # The context (other files, most stable) comes before this file's header.
    assert head == "\n".join(context) + "\n# Path: src/app.py\n# Language: python\n"
    assert ctx.header_lines == 4 and ctx.context_lines == 2
    assert 0 < ctx.context_tokens < ctx.prompt_tokens
    alone = ctx_at(["import util", "y = "], 1, 4)
    assert alone.prompt.startswith("# Path: src/app.py")
    assert (alone.context_lines, alone.context_tokens) == (0, 0)


def test_prompts_of_two_files_share_their_context_head() -> None:
    # Two buffers that see the same context send the same first bytes: a prefix the cache
    # can hit across files.
    context = ["# Definitions in src/models.py:", "# class User:", "#     name: str"] * 10
    a = build_context(["a = 1"], 0, 5, path="src/a.py", language_id="python", context_lines=context)
    b = build_context(["b = 2"], 0, 5, path="src/b.py", language_id="python", context_lines=context)
    shared = a.prompt[: a.prompt.index("# Path:")]
    assert len(shared) > 300 and b.prompt.startswith(shared)


FUNCTIONS = [
    "import os",
    "",
    "",
    "def first(path):",
    "    parts = path.split(os.sep)",
    "    ",
    "    return parts",
    "",
    "",
    "def second(x):",
    "    return x * 2",
    "",
    "",
    "def third(y):",
    "    return y + 1",
]


def test_suffix_ends_with_the_first_unindented_line_inside_a_block() -> None:
    ctx = ctx_at(FUNCTIONS, 5, 4)
    # The rest of `first`, then the line that ends it; nothing of `second`'s body or `third`.
    assert ctx.suffix == "\n    return parts\n\n\ndef second(x):"
    # A blank cursor line belongs to the indented code above it.
    blank = [*FUNCTIONS[:5], "", *FUNCTIONS[6:]]
    assert ctx_at(blank, 5, 0).suffix == "\n    return parts\n\n\ndef second(x):"
    # Braces: the closing brace at column 0 ends the suffix.
    js = ["function f(a) {", "  const b = a;", "  ", "  return b;", "}", "", "function g() {}"]
    assert ctx_at(js, 2, 2).suffix == "\n  return b;\n}"


METHODS = [
    "class Shelf:",
    "    def add(self, book):",
    "        if book in self.books:",
    "            return False",
    "        ",
    "",
    "    def remove(self, book):",
    "        self.books.remove(book)",
    "        self.count -= 1",
    "",
    "    def clear(self):",
    "        self.books = []",
]


def test_suffix_ends_with_the_line_that_ends_the_cursors_block() -> None:
    # The end of a method body: the next method's `def` says where the body ends; its own
    # body is not sent (every suffix token is a cache miss)...
    ctx = ctx_at(METHODS, 4, 8)
    assert ctx.suffix == "\n\n    def remove(self, book):"
    # ...but post-processing still compares an answer with it, to the usual line count.
    assert ctx.after == "\n".join(["", *METHODS[5:]])
    # Inside an `if` body: the line back at the `if`'s column ends the suffix.
    branch = [*METHODS[:4], "            ", "        else:", "            return True"]
    assert ctx_at(branch, 4, 12).suffix == "\n        else:"
    # Deeper lines and lines at the block's own column go on being sent.
    assert ctx_at(METHODS, 2, len(METHODS[2])).suffix == "\n".join(
        ["", *METHODS[3:5], "", METHODS[6]]
    )
    # Braces: the closing brace of the inner block ends it.
    js = ["function f(a) {", "  if (a) {", "    ", "  }", "  return b;", "}"]
    assert ctx_at(js, 2, 4).suffix == "\n  }"
    assert ctx_at(js, 2, 4).after == "\n  }\n  return b;\n}"


def test_suffix_at_top_level_keeps_the_first_lines_after_the_cursor() -> None:
    # A blank line at top level: the next six lines with code, under the budget.
    ctx = ctx_at(FUNCTIONS, 2, 0)
    assert ctx.suffix == "\n".join(FUNCTIONS[2:-1])
    small = ctx_at(FUNCTIONS, 2, 0, suffix_tokens=12)
    assert small.suffix and "\n".join(FUNCTIONS[2:]).startswith(small.suffix)
    assert estimate_tokens(small.suffix) <= 12 * 1.02 + 1


def test_suffix_is_sized_by_the_place_of_the_cursor() -> None:
    lines = [f"value_{i} = compute({i})" for i in range(40)]
    # Inside a line: the rest of it and two lines; at its end, three; on a blank line, six.
    inside = ctx_at(lines, 10, 8)
    assert inside.suffix == "\n".join([lines[10][8:], *lines[11:13]])
    at_end = ctx_at(lines, 10, len(lines[10]))
    assert at_end.suffix == "\n".join(["", *lines[11:14]])
    blank = [*lines[:10], "", *lines[10:]]
    assert ctx_at(blank, 10, 0).suffix == "\n".join(["", *lines[10:16]])
    # Blank lines after the cursor do not count.
    spaced = [*lines[:11], "", "", *lines[11:]]
    assert ctx_at(spaced, 10, len(lines[10])).suffix == "\n".join(["", "", "", *lines[11:14]])


def test_default_windows() -> None:
    lines = source_lines()
    ctx = ctx_at(lines, 1500, 4)
    header = "\n".join(ctx.prompt.split("\n")[:2])
    window = ctx.prompt[len(header) + 1 :]
    assert 512 / 2 < estimate_tokens(window) <= 512 * 1.02 + 1
    assert ctx.prefix_start_line % 16 == 0
    assert estimate_tokens(ctx.suffix) <= 256 * 1.02 + 1


@pytest.mark.parametrize(
    ("before", "after", "mode"),
    [
        ("", "", "block"),
        ("    ", "  ", "block"),
        ("def f(x):", "", "block"),
        ("foo(", ")", "block"),
        ("items = [", "]", "block"),
        ("if (x) {  ", "  }", "block"),
        ("x = {", "})", "block"),
        ("x = 1", "", "line"),
        ("foo(", "a)", "line"),
        ("    return ", "", "line"),
        ("", "x = 1", "line"),
        ("print('a:')", "", "next"),
        ("    fn area(&self) -> f64 ", "", "block"),
        ("def ", "", "block"),
        ("if x > 0", "", "block"),
        ("const f = (a) =>", "", "block"),
        ("if ok then", "", "block"),
        ("for i = 1, 10 do", "", "block"),
        ("  return total;", "", "next"),
        ("port = cfg.ge", "", "line"),
        ("console.log(", ");", "line"),
        ("x = i--", "", "line"),
        ("  host: localhost", "", "line"),
    ],
)
def test_mode_rule(before: str, after: str, mode: str) -> None:
    assert completion_mode(before, after) == mode
    assert ctx_at([before + after], 0, len(before)).mode == mode


@pytest.mark.parametrize(
    ("language", "line", "mode"),
    [
        # Inside a one-line string an opener is text: the rest of the string and the line.
        ("python", "        stream.write(cls.__name__ + '(", "line"),
        ("python", 'print("usage: (', "line"),
        ("javascript", "log('items: {", "line"),
        ("python", "print('a:') and f(", "block"),
        ("python", "print('it\\'s (", "line"),
        # A triple quote or a template literal may span lines: left to the other rules.
        ("python", 'query = """(', "block"),
        ("python", "if ready:  # don't wait", "block"),
        # Where `'` is not a quote: a Rust lifetime, an OCaml type variable.
        ("rust", "fn longest<'a>(", "block"),
        ("rust", "impl<'a> Parser<'a> {", "block"),
        ("ocaml", "let f (x : 'a) =", "block"),
    ],
)
def test_mode_inside_a_string(language: str, line: str, mode: str) -> None:
    assert completion_mode(line, "", language) == mode


@pytest.mark.parametrize(
    ("language", "line", "mode"),
    [
        ("yaml", "  host: localhost", "next"),
        ("yaml", "server:", "block"),
        ("toml", 'name = "demo"', "next"),
        ("python", "  host: localhost", "line"),
    ],
)
def test_mode_rule_for_entries(language: str, line: str, mode: str) -> None:
    assert completion_mode(line, "", language) == mode


def test_minified_line_longer_than_the_budget_is_cut_by_characters() -> None:
    line = "var a=1;" * 5000
    ctx = ctx_at([line], 0, len(line), prefix_tokens=200)
    assert ctx.prompt.endswith("var a=1;")
    assert estimate_tokens(ctx.prompt) < 400

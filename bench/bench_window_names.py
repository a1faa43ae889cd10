"""What the prefix window's size costs in sight: the names a line needs that the model can see.

A smaller `prefixTokens` makes every request cheaper (the window is paid as a miss once at each
place and as a cache hit on every request), and hides the code further above. A fake model
cannot tell the difference, so this benchmark measures it without one, on code this repository
did not write (see bench_mode_tokens.SOURCES: the Python standard library, code-server's
JavaScript and TypeScript, Neovim's Lua runtime).

A case puts the cursor at the start of a line's code and cuts the line (what the user is about to
type), as a completion there sees it. The line's *needed names* are its identifiers (three
characters or more, not keywords) that occur elsewhere in the file: the model could know them
from this file. A name is *seen* when it occurs as a word in the prompt's window or in the
suffix, built by the server's own `context.build_context` at each window size (the header and
the context from other files left out: this measures the window alone). Printed per language and
size: the share of needed names seen, and the window's mean tokens (the server's estimate).

A second table weighs the suffix the same way at the default window: the names seen with the
suffix as sent (it ends with the line that ends the cursor's block), and with the text after the
cursor that the suffix held before 2026-12-08 (to the end of the cursor's top-level block, which
post-processing still compares answers with: `FimContext.after`), with the mean tokens of each
(every suffix token is a cache miss).

`--grid-lines` sets the step of a fresh window's start (the server's default: 16 lines, 32
before the default window went from 768 to 512 tokens): a coarser step gives a shorter window.

Usage: bench_window_names.py [--files N] [--per-file N] [--seed N] [--sizes 256,512,768]
                             [--grid-lines N]
"""

from __future__ import annotations

import argparse
import keyword
import random
import re
import statistics
from dataclasses import dataclass

import bench_mode_tokens
from deepseek_fim.context import DEFAULT_GRID_LINES, build_context
from deepseek_fim.tokens import estimate_tokens

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words every file of the language has: they say nothing about what the window shows.
_COMMON = {
    "python": set(keyword.kwlist) | {"self", "cls", "None", "True", "False", "print", "len"},
    "lua": {
        "local", "function", "end", "then", "else", "elseif", "return", "nil", "true", "false",
        "and", "not", "for", "while", "repeat", "until", "break",
    },
    "javascript": {
        "const", "let", "var", "function", "return", "this", "new", "true", "false", "null",
        "undefined", "else", "for", "while", "typeof", "await", "async",
    },
}  # fmt: skip
_COMMON["typescript"] = _COMMON["javascript"] | {"string", "number", "boolean", "void", "any"}
LANGUAGES = ("python", "typescript", "javascript", "lua")


@dataclass(frozen=True)
class Case:
    language: str
    lines: list[str]  # the file with the cut line emptied down to its indentation
    line: int
    col: int
    needed: frozenset[str]


def cases(language: str, files: int, per_file: int, rng: random.Random) -> list[Case]:
    """Up to `per_file` cut lines in each of `files` files, each with a needed name."""
    found: list[Case] = []
    for path in bench_mode_tokens.pick_files(language, files):
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        common = _COMMON[language]
        candidates = [i for i, line in enumerate(lines) if i >= 20 and len(line.strip()) > 3]
        rng.shuffle(candidates)
        taken = 0
        for index in candidates:
            line = lines[index]
            indent = len(line) - len(line.lstrip())
            names = {w for w in _WORD.findall(line) if len(w) >= 3 and w not in common}
            others = lines[:index] + lines[index + 1 :]
            elsewhere = set(_WORD.findall("\n".join(others)))
            needed = frozenset(names & elsewhere)
            if not needed:
                continue
            cut = [*lines[:index], line[:indent], *lines[index + 1 :]]
            found.append(Case(language, cut, index, indent, needed))
            taken += 1
            if taken == per_file:
                break
    return found


def seen_share(case: Case, prefix_tokens: int, grid_lines: int) -> tuple[int, float]:
    """Needed names seen in the window or the suffix, and the window's tokens."""
    ctx = build_context(
        case.lines,
        case.line,
        case.col,
        path="file",
        language_id=case.language,
        prefix_tokens=prefix_tokens,
        grid_lines=grid_lines,
    )
    window = ctx.prompt.split("\n", ctx.header_lines)[-1]
    visible = set(_WORD.findall(window)) | set(_WORD.findall(ctx.suffix))
    return len(case.needed & visible), estimate_tokens(window)


def suffix_seen(case: Case) -> tuple[int, int, float, float]:
    """Needed names seen with the suffix as sent and with the longer one, and their tokens."""
    ctx = build_context(case.lines, case.line, case.col, path="file", language_id=case.language)
    window = set(_WORD.findall(ctx.prompt.split("\n", ctx.header_lines)[-1]))
    sent = window | set(_WORD.findall(ctx.suffix))
    longer = window | set(_WORD.findall(ctx.after))
    return (
        len(case.needed & sent),
        len(case.needed & longer),
        estimate_tokens(ctx.suffix),
        estimate_tokens(ctx.after),
    )


def print_suffix_table(found_by_language: dict[str, list[Case]]) -> None:
    """Names seen and mean tokens with the suffix as sent and as it was (see the docstring)."""
    print(
        "\nneeded names seen at the default window, with the suffix as sent | with the suffix"
        " before 2026-12-08 (to the top-level block's end); mean suffix tokens in brackets"
    )
    print("language | names | sent | before")
    rows = [(language, found) for language, found in found_by_language.items() if found]
    rows.append(("all", [case for _, found in rows for case in found]))
    for language, found in rows:
        results = [suffix_seen(case) for case in found]
        names = sum(len(case.needed) for case in found)
        cells = [
            f"{100 * sum(r[which] for r in results) / names:.1f}%"
            f" ({statistics.mean(r[which + 2] for r in results):.0f})"
            for which in (0, 1)
        ]
        print(" | ".join([language, str(names), *cells]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--per-file", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sizes", default="256,384,512,640,768,1024")
    parser.add_argument("--grid-lines", type=int, default=DEFAULT_GRID_LINES)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    rng = random.Random(args.seed)
    print(
        "needed names seen in the window or the suffix, by prefixTokens"
        f" (seed {args.seed}, grid {args.grid_lines} lines; mean window tokens in brackets)"
    )
    header = ["language", "cases", "names"] + [f"{size}" for size in sizes]
    print(" | ".join(header))
    totals = {size: 0 for size in sizes}
    windows: dict[int, list[float]] = {size: [] for size in sizes}
    all_names = 0
    found_by_language: dict[str, list[Case]] = {}
    for language in LANGUAGES:
        found = found_by_language[language] = cases(language, args.files, args.per_file, rng)
        if not found:
            print(f"{language} | 0 | 0 | (no files here)")
            continue
        names = sum(len(case.needed) for case in found)
        all_names += names
        cells = []
        for size in sizes:
            results = [seen_share(case, size, args.grid_lines) for case in found]
            seen = sum(count for count, _ in results)
            totals[size] += seen
            windows[size] += [window for _, window in results]
            tokens = statistics.mean(window for _, window in results)
            cells.append(f"{100 * seen / names:.1f}% ({tokens:.0f})")
        print(" | ".join([language, str(len(found)), str(names), *cells]))
    if all_names:
        cells = [
            f"{100 * totals[size] / all_names:.1f}% ({statistics.mean(windows[size]):.0f})"
            for size in sizes
        ]
        print(" | ".join(["all", "", str(all_names), *cells]))
        print_suffix_table(found_by_language)


if __name__ == "__main__":
    main()

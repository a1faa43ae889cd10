"""Right answers cut from real files: how many the post-processing keeps, before and after.

The held-out check of "never trim what was already right", on code nobody wrote cases for:
in real files on this machine (see bench_mode_tokens.SOURCES), cursor places are drawn (the
end of a line, a word end inside one, the start of a line's code) and the file's own text after
the cursor is the answer: the rest of the line, the line after a finished line, or the lines up
to the end of the statement block (the next line back at or left of the first line's column,
up to eight lines). The answer is taken out of the document and given to the pipeline; it is
kept when accepting it gives back the file. Printed per language: kept before, kept after, and
the places kept before but not after (regressions), with examples under --verbose.

Usage: bench_real_answers.py [--before REF] [--files N] [--per-file N] [--seed N] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import bench_mode_tokens
import keep_judge
from deepseek_fim import syntax
from previous_server import previous_tree

ROOT = Path(__file__).resolve().parents[1]
_MAX_BLOCK_LINES = 8
# The windows hold about 768 + 256 tokens: a few thousand characters on each side are enough
# (and keep 8,000 cases small).
_KEEP_CHARS = 12000


def _tail(before: str) -> str:
    """The document before the cursor, from a line well above the prompt window's reach."""
    if len(before) <= _KEEP_CHARS:
        return before
    cut = before.find("\n", len(before) - _KEEP_CHARS)
    return before[cut + 1 :] if cut >= 0 else before


def _head(after: str) -> str:
    """The document after the answer, to a line well past the suffix window's reach."""
    if len(after) <= _KEEP_CHARS:
        return after
    cut = after.rfind("\n", 0, _KEEP_CHARS)
    return after[:cut] if cut > 0 else after


def answers(text: str, rng: random.Random, per_file: int) -> list[tuple[str, str, str]]:
    """(before, answer, after) triples for cursor places drawn in ``text``."""
    lines = text.split("\n")
    offsets = []
    total = 0
    for line in lines:
        offsets.append(total)
        total += len(line) + 1
    out = []
    for _ in range(per_file * 3):
        if len(out) >= per_file:
            break
        row = rng.randrange(len(lines) - 1)
        line = lines[row]
        if not line.strip():
            continue
        kind = rng.choice(("rest", "next", "block"))
        start = offsets[row]
        indent = len(syntax.indent_of(line))
        if kind == "rest":
            ends = [c for c in range(indent + 1, len(line)) if line[c - 1].isalnum()]
            if not ends:
                continue
            cursor = start + rng.choice(ends)
            end = start + len(line)
        elif kind == "next":
            nxt = lines[row + 1]
            if not nxt.strip():
                continue
            cursor = start + len(line)
            end = offsets[row + 1] + len(nxt)
        else:
            cursor = start + indent
            last = row
            for k in range(row + 1, min(len(lines), row + _MAX_BLOCK_LINES)):
                following = lines[k]
                if not following.strip():
                    break
                if len(syntax.indent_of(following)) <= indent and not syntax.is_closer_line(
                    following
                ):
                    break
                last = k
            end = offsets[last] + len(lines[last])
        answer = text[cursor:end]
        if answer.strip():
            out.append((_tail(text[:cursor]), answer, _head(text[end:])))
    return out


def judge(ref: str | None, cases: list[dict[str, str]]) -> list[bool]:
    """Kept or not per case: this tree's code (``ref`` None) or ``ref``'s in a subprocess."""
    if ref is None:
        return [keep_judge.kept(c["before"], c["after"], c["language"], c["answer"]) for c in cases]
    with tempfile.TemporaryDirectory(prefix="keep-before-") as tmp:
        server = previous_tree(ref, Path(tmp))
        out = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("keep_judge.py"))],
            input="".join(json.dumps(c) + "\n" for c in cases),
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(server)},
        ).stdout
    return [line == "1" for line in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="the revision judged as 'before'")
    parser.add_argument("--files", type=int, default=20, help="files per language")
    parser.add_argument("--per-file", type=int, default=30, help="places per file")
    parser.add_argument("--seed", type=int, default=19, help="where the cursors are drawn")
    parser.add_argument("--verbose", action="store_true", help="show regressions")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases: list[dict[str, str]] = []
    for language in bench_mode_tokens.SOURCES:
        for path in bench_mode_tokens.pick_files(language, args.files):
            text = path.read_text(encoding="utf-8")
            for before, answer, after in answers(text, rng, args.per_file):
                cases.append(
                    {"before": before, "answer": answer, "after": after, "language": language}
                )
    old = judge(args.before, cases)
    new = judge(None, cases)
    total: Counter[str] = Counter()
    kept_old: Counter[str] = Counter()
    kept_new: Counter[str] = Counter()
    worse: Counter[str] = Counter()
    better: Counter[str] = Counter()
    for case, a, b in zip(cases, old, new, strict=True):
        language = case["language"]
        total[language] += 1
        kept_old[language] += a
        kept_new[language] += b
        worse[language] += a and not b
        better[language] += b and not a
        if args.verbose and a and not b:
            print(f"--- {language}: kept before, not after")
            print(case["before"][-200:] + "║" + case["answer"] + "║" + case["after"][:80])
    print(f"before: {args.before}; after: this tree")
    print(f"{'':<12} {'answers':>8} {'kept before':>12} {'kept after':>11} {'lost':>5} {'won':>5}")
    for language in [*sorted(total), "all"]:
        pick = list(total) if language == "all" else [language]
        print(
            f"{language:<12} {sum(total[x] for x in pick):>8} "
            f"{sum(kept_old[x] for x in pick):>12} {sum(kept_new[x] for x in pick):>11} "
            f"{sum(worse[x] for x in pick):>5} {sum(better[x] for x in pick):>5}"
        )


if __name__ == "__main__":
    main()

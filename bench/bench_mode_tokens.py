"""Output tokens the line/block decision costs: this tree's modes against another revision's.

Cursor places are read from real files on this machine (the Python standard library, the
JavaScript, TypeScript and CSS of code-server, Neovim's Lua runtime): the end of every line, and
every place inside a line where a word ends, with the rest of that line not typed yet (where a
typist writing the line pauses). Each place gets its mode
from both revisions; the answer is the file's own continuation (an oracle that is always right),
cut where the mode's stop sequence cuts it (line: a newline; next: a blank line; block: two)
and capped at the mode's output tokens (48 for line and next, 192 for block, the defaults), so
the difference is what asking for a block where a line was asked for costs at most. A real
model stops a block earlier than the file's next blank lines when it writes less.

Usage: bench_mode_tokens.py [--before REF] [--files N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from deepseek_fim.context import completion_mode
from deepseek_fim.tokens import estimate_tokens
from previous_server import previous_tree

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("DEEPSEEK_FIM_CACHE", ROOT / ".cache"))
STOPS = {"line": "\n", "next": "\n\n", "block": "\n\n\n"}
CAPS = {"line": 48, "next": 48, "block": 192}
SOURCES: dict[str, list[tuple[Path, str]]] = {
    "python": [
        (
            Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}",
            "*.py",
        )
    ],
    "javascript": [(CACHE / "code-server" / "node_modules", "*.js")],
    "typescript": [(CACHE / "code-server" / "node_modules", "*.ts")],
    "css": [(CACHE / "code-server" / "node_modules", "*.css"), (Path("/usr/share"), "*.css")],
    "lua": [(CACHE, "*.lua")],
}
_ANSWER_CHARS = 4000
# Minified or generated files are not what anyone types.
_MAX_MEAN_LINE = 100


@dataclass(frozen=True)
class Place:
    """A cursor place in a file, and the file's continuation from it."""

    language: str
    prefix: str  # the cursor line before the cursor
    suffix: str  # the cursor line after it (empty: not typed yet)
    text: str  # the whole file (shared by its places, not copied)
    offset: int  # where the cursor is in it
    at_line_end: bool


def pick_files(language: str, count: int) -> list[Path]:
    """Up to ``count`` readable, unminified files, a stable sample by path hash."""
    found: list[Path] = []
    for root, pattern in SOURCES[language]:
        if root.exists():
            found.extend(
                p for p in root.rglob(pattern) if p.is_file() and not p.name.endswith(".d.ts")
            )
    found.sort(key=lambda p: zlib.crc32(str(p).encode()))
    chosen = []
    for path in found:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        lines = text.split("\n")
        if len(lines) < 20 or len(text) / len(lines) > _MAX_MEAN_LINE:
            continue
        chosen.append(path)
        if len(chosen) == count:
            break
    return chosen


def places(language: str, path: Path) -> list[Place]:
    """The end of each non-blank line, and each word end inside a line."""
    text = path.read_text(encoding="utf-8")
    out = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            for col in range(1, len(line) + 1):
                end = col == len(line)
                word_end = line[col - 1].isalnum() and (end or not line[col].isalnum())
                if end or word_end:
                    out.append(Place(language, line[:col], "", text, offset + col, end))
        offset += len(line) + 1
    return out


def output_tokens(mode: str, place: Place) -> int:
    """The oracle's answer for ``mode``: cut at the mode's stop, capped at its output tokens."""
    # The cap is a few hundred tokens: a few thousand characters are all it can reach.
    rest = place.text[place.offset : place.offset + _ANSWER_CHARS]
    stop = rest.find(STOPS[mode])
    answer = rest if stop < 0 else rest[:stop]
    return min(estimate_tokens(answer), CAPS[mode])


def modes_before(ref: str, batch: list[Place]) -> list[str]:
    """``ref``'s modes for every place, from its code in a subprocess."""
    with tempfile.TemporaryDirectory(prefix="modes-before-") as tmp:
        server = previous_tree(ref, Path(tmp))
        payload = "".join(json.dumps([p.prefix, p.suffix, p.language]) + "\n" for p in batch)
        out = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("mode_of.py"))],
            input=payload,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(server)},
        ).stdout
    return out.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="the revision judged as 'before'")
    parser.add_argument("--files", type=int, default=25, help="files per language")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    batch: list[Place] = []
    files: Counter[str] = Counter()
    for language in SOURCES:
        for path in pick_files(language, args.files):
            batch.extend(places(language, path))
            files[language] += 1
    before = modes_before(args.before, batch)
    rows: dict[str, dict[str, float]] = {}
    for where in ("line ends", "typing"):
        for language in [*SOURCES, "all"]:
            chosen = [
                (p, b)
                for p, b in zip(batch, before, strict=True)
                if (language == "all" or p.language == language)
                and p.at_line_end == (where == "line ends")
            ]
            if not chosen:
                continue
            old = new = switched = unswitched = 0
            for place, old_mode in chosen:
                new_mode = completion_mode(place.prefix, place.suffix, place.language)
                old += output_tokens(old_mode, place)
                new += output_tokens(new_mode, place)
                switched += old_mode != "block" and new_mode == "block"
                unswitched += old_mode == "block" and new_mode != "block"
            rows[f"{where} {language}"] = {
                "places": len(chosen),
                "to_block": switched,
                "from_block": unswitched,
                "tokens_before": old,
                "tokens_after": new,
            }
    if args.json:
        print(json.dumps({"files": files, "rows": rows}, indent=2))
        return
    print(f"before: {args.before}; after: this tree; files: {dict(files)}")
    print(
        f"{'':<26} {'places':>7} {'to block':>9} {'out before':>11} {'out after':>10} {'added':>7}"
    )
    for name, r in rows.items():
        added = (r["tokens_after"] - r["tokens_before"]) / max(1, r["tokens_before"])
        print(
            f"{name:<22} {r['places']:>7} {r['to_block']:>9} {r['from_block']:>11} "
            f"{r['tokens_before']:>11} "
            f"{r['tokens_after']:>10} {added:>7.1%}"
        )


if __name__ == "__main__":
    main()

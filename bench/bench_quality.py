"""Completion shaping quality, before and after a change: the golden cases, per step and family.

Each case in tests/fixtures/postprocess/ holds a document with a cursor, the raw model text and
the document expected after accepting; a case passes when applying the pipeline's text and range
to the document gives exactly that document. `unchanged/` holds right answers: they must come
out of the pipeline exactly as the model wrote them ("kept"); the other directories hold repairs,
one directory per step.

The same cases are judged by this tree's code ("after") and by another revision's ("before",
default `main`: its `server/` is exported with `git archive` into a temporary directory and run
in a subprocess), in one run. Printed: repairs per step, right answers kept and repairs per
language family, the step that broke each right answer, and the cases that carry a `cause`.

Usage: bench_quality.py [--before REF | --no-before] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import quality_judge
from deepseek_fim.testing.golden import LANGUAGE_FAMILIES, UNCHANGED, judge, load_cases

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "postprocess"
Records = dict[str, dict[str, Any]]


def judge_before(ref: str) -> Records:
    """The cases judged by ``ref``'s server code, in a subprocess."""
    with tempfile.TemporaryDirectory(prefix="quality-before-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "server"],
            check=True,
            capture_output=True,
        ).stdout
        archive_path = Path(tmp) / "server.tar"
        archive_path.write_bytes(archive)
        with tarfile.open(archive_path) as tar:
            tar.extractall(tmp, filter="data")
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "server")}
        out = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("quality_judge.py")), str(FIXTURES)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
    records = (json.loads(line) for line in out.splitlines() if line.strip())
    return {record["path"]: record for record in records}


def judge_after() -> Records:
    """The cases judged by this tree's code."""
    return {record["path"]: record for record in quality_judge.judge_all(FIXTURES)}


def causes() -> dict[str, str]:
    """Case path -> the `cause` it was written for (issue 19's golden cases)."""
    found = {}
    for path in sorted(FIXTURES.rglob("*.toml")):
        with path.open("rb") as f:
            cause = tomllib.load(f).get("cause")
        if cause:
            found[str(path.relative_to(FIXTURES))] = str(cause)
    return found


def family(record: dict[str, Any]) -> str:
    language = str(record["language"])
    return LANGUAGE_FAMILIES.get(language, language)


def count(records: Iterable[dict[str, Any]], key: str) -> tuple[Counter[str], Counter[str]]:
    """(cases, passing) per value of ``key``."""
    total: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for record in records:
        name = family(record) if key == "family" else str(record[key])
        total[name] += 1
        passed[name] += bool(record["passed"])
    return total, passed


def row(name: str, cases: int, before: int | None, after: int) -> str:
    shown = "-" if before is None else str(before)
    return f"{name:<22} {cases:>5} {shown:>7} {after:>7}"


def table(title: str, rows: list[str]) -> None:
    print(title)
    print(f"{'':<22} {'cases':>5} {'before':>7} {'after':>7}")
    print("-" * 44)
    for line in rows:
        print(line)
    print()


def report(after: Records, before: Records | None) -> None:
    """Print every table; ``before`` is None when no earlier revision was judged."""
    repairs = [r for r in after.values() if r["step"] != UNCHANGED]
    right = [r for r in after.values() if r["step"] == UNCHANGED]

    def passing_before(paths: Iterable[str]) -> int | None:
        if before is None:
            return None
        return sum(bool(before[p]["passed"]) for p in paths if p in before)

    def rows_by(records: list[dict[str, Any]], key: str) -> list[str]:
        total, passed = count(records, key)
        lines = []
        for name in sorted(total):
            paths = [
                r["path"] for r in records if (family(r) if key == "family" else r[key]) == name
            ]
            lines.append(row(name, total[name], passing_before(paths), passed[name]))
        all_paths = [r["path"] for r in records]
        lines.append("-" * 44)
        lines.append(row("all", len(records), passing_before(all_paths), sum(passed.values())))
        return lines

    table("Repairs made, per step (fixture directory)", rows_by(repairs, "step"))
    table("Repairs made, per language family", rows_by(repairs, "family"))
    table("Right answers kept, per language family", rows_by(right, "family"))

    broken_after = Counter(r["changed_by"] for r in right if r["changed_by"])
    broken_before = Counter(
        before[r["path"]]["changed_by"]
        for r in right
        if before is not None and r["path"] in before and before[r["path"]]["changed_by"]
    )
    steps = sorted(set(broken_after) | set(broken_before))
    print("Right answers changed, by the first step that changed them (before / after)")
    for step in steps or ["(none)"]:
        print(f"  {step:<22} {broken_before.get(step, 0):>3} / {broken_after.get(step, 0)}")
    print()

    by_cause = causes()
    if by_cause:
        names = sorted(set(by_cause.values()))
        lines = []
        for name in names:
            paths = [p for p, c in by_cause.items() if c == name and p in after]
            passed = sum(bool(after[p]["passed"]) for p in paths)
            lines.append(row(name, len(paths), passing_before(paths), passed))
        table("Cases written for a cause (issue 19)", lines)

    kept = sum(bool(r["passed"]) and not r["changed_by"] for r in right)
    print(f"Right answers kept: {kept} of {len(right)} after", end="")
    if before is not None:
        kept_before = sum(
            bool(before[r["path"]]["passed"]) and not before[r["path"]]["changed_by"]
            for r in right
            if r["path"] in before
        )
        print(f", {kept_before} before", end="")
    print(" (inserted exactly as the model wrote them, empty range).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="the revision judged as 'before'")
    parser.add_argument("--no-before", action="store_true", help="judge this tree only")
    parser.add_argument("--verbose", action="store_true", help="show each failing case")
    args = parser.parse_args()
    after = judge_after()
    before = None
    if not args.no_before:
        try:
            before = judge_before(args.before)
        except subprocess.CalledProcessError as exc:
            # A clone without that revision (a shallow CI checkout): judge this tree only.
            print(f"({args.before} could not be judged: {exc.stderr!r}; this tree only)\n")
    if args.verbose:
        for case in load_cases(FIXTURES):
            ok, document = judge(case)
            if not ok:
                print(f"FAIL {case.path.relative_to(FIXTURES)}: {case.description}")
                print(f"  got:\n{document}\n")
    if before is not None:
        print(f"before: {args.before}; after: this tree\n")
    report(after, before)
    right = [r for r in after.values() if r["step"] == UNCHANGED]
    if not all(r["passed"] and not r["changed_by"] for r in right):
        sys.exit("a right answer was not kept")


if __name__ == "__main__":
    main()

"""Completion shaping quality: the golden post-processing cases, counted per step; print the table.

Each case in tests/fixtures/postprocess/ holds a document with a cursor, the raw model text and
the document expected after accepting; a case passes when applying the pipeline's text and range
to the document gives exactly that document. `unchanged/` holds right answers: besides the
document, they must come out of the pipeline exactly as the model wrote them.

Usage: bench_quality.py [--verbose]   (lists every failing case with the document it produced)
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from deepseek_fim.postprocess import Candidate, postprocess
from deepseek_fim.testing.golden import UNCHANGED, context_for, judge, load_cases

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "postprocess"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="show each failing case")
    args = parser.parse_args()
    cases = load_cases(FIXTURES)
    total: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    untouched = 0
    for case in cases:
        ok, document = judge(case)
        total[case.step] += 1
        passed[case.step] += ok
        if case.step == UNCHANGED:
            untouched += postprocess(case.output, context_for(case)) == Candidate(case.output)
        if not ok and args.verbose:
            print(f"FAIL {case.path.relative_to(FIXTURES)}: {case.description}")
            print(f"  got:\n{document}\n")
    repairs = [step for step in sorted(total) if step != UNCHANGED]
    print(f"{'step':<14} {'cases':>5} {'passing':>7}")
    print("-" * 28)
    for step in repairs:
        print(f"{step:<14} {total[step]:>5} {passed[step]:>7}")
    print("-" * 28)
    repair_total = sum(total[s] for s in repairs)
    repair_passed = sum(passed[s] for s in repairs)
    print(f"{'repairs':<14} {repair_total:>5} {repair_passed:>7}")
    print(f"{'unchanged':<14} {total[UNCHANGED]:>5} {passed[UNCHANGED]:>7}")
    print(f"{'overall':<14} {sum(total.values()):>5} {sum(passed.values()):>7}")
    print()
    print(
        f"Right answers left unchanged: {untouched} of {total[UNCHANGED]} "
        "(text exactly as the model wrote it, empty range)."
    )


if __name__ == "__main__":
    main()

"""Judge every golden post-processing case with whichever `deepseek_fim` is importable.

bench_quality.py imports this for the working tree's code and runs it as a script, with
PYTHONPATH pointing at another revision's `server/`, for the code before a change: the same
cases judged by both in one run. Uses only what the golden harness had before issue 19
(`load_cases`, `context_for`, `judge`, `STEPS`), so older revisions run it unchanged.

Usage: quality_judge.py FIXTURES   (prints one JSON object per case, one per line)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from deepseek_fim.postprocess import STEPS, Candidate
from deepseek_fim.testing.golden import UNCHANGED, context_for, judge, load_cases


def judge_all(fixtures: Path) -> list[dict[str, Any]]:
    """One record per case: passed, and for right answers the first step that changed them."""
    records = []
    for case in load_cases(fixtures):
        passed, _ = judge(case)
        changed_by = None
        if case.step == UNCHANGED:
            ctx = context_for(case)
            candidate: Candidate | None = Candidate(case.output)
            for step in STEPS:
                assert candidate is not None
                after = step(candidate, ctx)
                if after != candidate:
                    changed_by = step.__name__
                    break
                candidate = after
        records.append(
            {
                "path": str(case.path.relative_to(fixtures)),
                "step": case.step,
                "language": case.language,
                "passed": passed,
                "changed_by": changed_by,
            }
        )
    return records


if __name__ == "__main__":
    for record in judge_all(Path(sys.argv[1])):
        print(json.dumps(record))

"""Whether the post-processing keeps given right answers, with whichever code is importable.

bench_real_answers.py runs this for this tree's code and, with PYTHONPATH pointing at another
revision's `server/`, for the code before a change. Input: one JSON object per line with
``before`` (the document before the cursor), ``after`` (after it), ``language`` and ``answer``;
output: one line per case, ``1`` when accepting the shaped answer gives back
``before + answer + after`` exactly, ``0`` otherwise.
"""

from __future__ import annotations

import json
import sys

from deepseek_fim.context import build_context
from deepseek_fim.postprocess import postprocess


def kept(before: str, after: str, language: str, answer: str) -> bool:
    """True when the pipeline leaves the document exactly as with ``answer`` inserted."""
    lines = (before + after).split("\n")
    line = before.count("\n")
    col = len(before) - (before.rfind("\n") + 1)
    ctx = build_context(lines, line, col, path=f"/p/file.{language}", language_id=language)
    shaped = postprocess(answer, ctx)
    if shaped is None or not after.startswith(shaped.replace):
        return False
    return before + shaped.text + after[len(shaped.replace) :] == before + answer + after


if __name__ == "__main__":
    for raw in sys.stdin:
        case = json.loads(raw)
        ok = kept(case["before"], case["after"], case["language"], case["answer"])
        print(1 if ok else 0)

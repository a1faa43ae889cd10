"""Cost of build_context + postprocess for a cursor mid-file, at 1k, 10k and 100k lines.

Run: .venv/bin/python bench/bench_context.py [--repeat N] [--source FILE]
The lines come from a real source file repeated; the cost should not grow with the file.
"""

from __future__ import annotations

import argparse
import statistics
import sysconfig
import time
from pathlib import Path

from deepseek_fim.context import Snippet, build_context
from deepseek_fim.postprocess import postprocess
from deepseek_fim.privacy import mask_secrets
from deepseek_fim.tokens import estimate_line_tokens

SIZES = (1_000, 10_000, 100_000)
MODEL_OUTPUT = "parser.add_argument('--verbose', action='store_true')\n    return parser"


def document(source: Path, size: int) -> list[str]:
    base = source.read_text(encoding="utf-8").split("\n")
    return (base * (size // len(base) + 1))[:size]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(lines: list[str], repeat: int, *, mask: bool, cold: bool) -> tuple[list[float], int]:
    middle = len(lines) // 2
    snippet = Snippet(path="src/util.py", text="\n".join(lines[:60]))
    samples: list[float] = []
    tokens = 0
    for i in range(repeat):
        line = middle + (i % 7)
        col = min(len(lines[line]), 8)
        if cold:
            estimate_line_tokens.cache_clear()
        start = time.perf_counter()
        ctx = build_context(
            lines, line, col, path="src/app.py", language_id="python", snippets=[snippet]
        )
        if mask:
            mask_secrets(ctx.prompt)
            mask_secrets(ctx.suffix)
        postprocess(MODEL_OUTPUT, ctx)
        samples.append((time.perf_counter() - start) * 1000)
        tokens = ctx.prompt_tokens
    return samples, tokens


def main() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--source", type=Path, default=stdlib / "argparse.py")
    args = parser.parse_args()

    print(f"source: {args.source}, {args.repeat} runs per size, snippet + 1500/500 budgets")
    print("cold: line-estimate cache cleared before each run; warm: a keystroke in the same region")
    head = ("lines", "tokens", "cold p50", "cold p95", "warm p50", "warm p95", "+mask p50")
    print(" | ".join(f"{h:>9}" for h in head) + "   (ms)")
    print("-+-".join("-" * 9 for _ in head))
    for size in SIZES:
        lines = document(args.source, size)
        measure(lines, 20, mask=False, cold=False)  # warm-up
        cold, tokens = measure(lines, args.repeat, mask=False, cold=True)
        warm, _ = measure(lines, args.repeat, mask=False, cold=False)
        masked, _ = measure(lines, args.repeat, mask=True, cold=False)
        row = (
            statistics.median(cold),
            percentile(cold, 0.95),
            statistics.median(warm),
            percentile(warm, 0.95),
            statistics.median(masked),
        )
        print(f"{size:>9} | {tokens:>9} | " + " | ".join(f"{v:>9.3f}" for v in row))


if __name__ == "__main__":
    main()

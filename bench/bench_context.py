"""Cost of building a prompt + postprocess for a cursor mid-file, at 1k, 10k and 100k lines.

Run: .venv/bin/python bench/bench_context.py [--repeat N] [--source FILE]
The lines come from a real source file repeated; the cost should not grow with the file. The
prompt is built by the server's PromptBuilder with 20 other open buffers (standard-library
modules, the first of which the document imports), as a completion does; a keystroke between
runs marks the document changed, and `didChange` is measured apart (the index's share of it).
"""

from __future__ import annotations

import argparse
import statistics
import sysconfig
import time
from pathlib import Path

from deepseek_fim.documents import Document, DocumentStore
from deepseek_fim.postprocess import postprocess
from deepseek_fim.privacy import mask_secrets
from deepseek_fim.sources.prompt_builder import PromptBuilder
from deepseek_fim.tokens import estimate_line_tokens

SIZES = (1_000, 10_000, 100_000)
MODEL_OUTPUT = "parser.add_argument('--verbose', action='store_true')\n    return parser"


def document_lines(source: Path, size: int) -> list[str]:
    base = source.read_text(encoding="utf-8").split("\n")
    return (base * (size // len(base) + 1))[:size]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


OTHER_MODULES = (
    "textwrap.py", "shutil.py", "gettext.py", "os.py", "typing.py", "dataclasses.py",
    "enum.py", "functools.py", "pathlib.py", "logging/__init__.py", "json/decoder.py",
    "json/encoder.py", "collections/__init__.py", "subprocess.py", "tempfile.py", "string.py",
    "re/__init__.py", "inspect.py", "contextlib.py", "abc.py",
)  # fmt: skip


def open_project(lines: list[str], stdlib: Path) -> tuple[PromptBuilder, Document]:
    """The document (importing textwrap, shutil and heapq) and 20 other open stdlib buffers."""
    store = DocumentStore()
    builder = PromptBuilder(
        store, excluded=lambda path: False, read_disk=True, roots=(str(stdlib),)
    )
    for name in OTHER_MODULES:
        uri = (stdlib / name).as_uri()
        store.open(uri, "python", 1, (stdlib / name).read_text(encoding="utf-8"))
        builder.opened(uri)
    uri = (stdlib / "bench_document.py").as_uri()
    # heapq is not open: its outline comes from disk (read once, in the server in a thread).
    text = "from textwrap import dedent, wrap\nimport shutil\nimport heapq\n" + "\n".join(lines)
    document = store.open(uri, "python", 1, text)
    builder.opened(uri)
    builder.store_from_disk(builder.read_from_disk(builder.disk_paths_wanted(document)))
    return builder, document


def measure(
    builder: PromptBuilder, document: Document, repeat: int, *, mask: bool, cold: bool
) -> tuple[list[float], list[float], int]:
    """Per run: a keystroke (didChange's index part), then a prompt built at the cursor."""
    lines = document.lines
    middle = len(lines) // 2
    samples: list[float] = []
    edits: list[float] = []
    tokens = 0
    for i in range(repeat):
        line = middle + (i % 7)
        col = min(len(lines[line]), 8)
        if cold:
            estimate_line_tokens.cache_clear()
        start = time.perf_counter()
        document.version += 1
        builder.changed(document.uri)
        edits.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        ctx = builder.build(document, line, col)
        builder.disk_paths_wanted(document)  # the service asks this after every prompt
        if mask:
            mask_secrets(ctx.prompt)
            mask_secrets(ctx.suffix)
        postprocess(MODEL_OUTPUT, ctx)
        samples.append((time.perf_counter() - start) * 1000)
        tokens = ctx.prompt_tokens
    return samples, edits, tokens


def main() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--source", type=Path, default=stdlib / "argparse.py")
    args = parser.parse_args()

    print(
        f"source: {args.source}, {args.repeat} runs per size, 20 other open buffers, "
        "768/256 windows, 800 context tokens"
    )
    print("cold: line-estimate cache cleared before each run; warm: a keystroke in the same region")
    head = (
        "lines",
        "tokens",
        "cold p50",
        "cold p95",
        "warm p50",
        "warm p95",
        "+mask p50",
        "edit p95",
    )
    print(" | ".join(f"{h:>9}" for h in head) + "   (ms)")
    print("-+-".join("-" * 9 for _ in head))
    for size in SIZES:
        builder, document = open_project(document_lines(args.source, size), stdlib)
        measure(builder, document, 20, mask=False, cold=False)  # warm-up (the first outlines)
        cold, _, tokens = measure(builder, document, args.repeat, mask=False, cold=True)
        warm, edits, _ = measure(builder, document, args.repeat, mask=False, cold=False)
        masked, _, _ = measure(builder, document, args.repeat, mask=True, cold=False)
        row = (
            statistics.median(cold),
            percentile(cold, 0.95),
            statistics.median(warm),
            percentile(warm, 0.95),
            statistics.median(masked),
            percentile(edits, 0.95),
        )
        print(f"{size:>9} | {tokens:>9} | " + " | ".join(f"{v:>9.3f}" for v in row))


if __name__ == "__main__":
    main()

"""Replay a typing session against the real server and the fake DeepSeek API; print the numbers.

For files of 1k, 10k and 100k lines (real code from the standard library), a few lines of real code
are typed into the middle of the file at human speed (40-120 ms between keys, longer pauses at
line ends), with an inline-completion request after every keystroke and a `$/cancelRequest` for the
previous one, as VS Code does. Printed per size: keystrokes, FIM requests sent, requests the fake
saw aborted, tokens (cache hit / miss / output, and output tokens per request: the fake model
answers a realistic run-on, so `stop` and `max_tokens` decide what is paid), cost from the
ledger, and the server's own time per completion (excluding the debounce and the API), per
didChange, and for preparing the prompt during the debounce (once per keystroke that starts
one), p50/p95.

Baseline, measured in the same run: pygls's stock TextDocument doing the same edits plus the
offset/window work a completion needs, which grows with the file.

Usage: bench_typing.py [--quick] [--sizes 1000,10000,100000] [--debounce-ms 250]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import statistics
import subprocess
import sys
import tempfile
import time
import types as pytypes
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument

from deepseek_fim.context import build_context
from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.lsp_session import Session

URI = "file:///bench/project/module.py"
# Request shapes, told apart by the stop sequences the server sent.
SHAPES = {("\n",): "line", ("\n\n",): "next", ("\n\n\n",): "block"}
# What the fake model answers to every request: a realistic run-on (the rest of a statement, a
# body, then the next method), so that `stop` and `max_tokens` decide how many tokens are paid.
MODEL_ANSWER = (
    "value = self.decode(s)\n"
    "        if value is None:\n"
    "            raise ValueError(s)\n"
    "        return value\n\n"
    "    def close(self):\n"
    "        self.stream.close()\n\n\n"
    "class Other:\n"
    "    pass\n"
)


def source_lines(module: pytypes.ModuleType) -> list[str]:
    return inspect.getsource(module).splitlines()


def make_file(lines: int) -> list[str]:
    import argparse as corpus

    base = source_lines(corpus)
    return [base[i % len(base)] for i in range(lines)]


def typed_snippet(quick: bool) -> str:
    import json.decoder as corpus

    lines = [line for line in source_lines(corpus)[80:140] if line.strip()]
    return "\n".join(lines[: 3 if quick else 12]) + "\n"


def keystroke_delays(text: str, seed: int) -> list[float]:
    """Human-like delays before each character: quick within words, pauses at line ends and
    now and then between words (the moments a completion request survives the debounce)."""
    rng = random.Random(seed)
    delays = []
    for char in text:
        if char == "\n":
            delays.append(rng.uniform(0.5, 0.9))
        elif char == " " and rng.random() < 0.3:
            delays.append(rng.uniform(0.35, 0.7))
        elif char == " ":
            delays.append(rng.uniform(0.08, 0.2))
        else:
            delays.append(rng.uniform(0.04, 0.12))
    return delays


async def replay(size: int, snippet: str, debounce_ms: int, data_dir: str) -> dict[str, Any]:
    lines = make_file(size)
    middle = size // 2
    with FakeDeepSeek(completion=MODEL_ANSWER, latency_ms=150) as fake:
        session = await Session.start(
            {
                "DEEPSEEK_API_KEY": "sk-fake-bench-key",
                "DEEPSEEK_BASE_URL": fake.url,
                "DEEPSEEK_FIM_DATA_DIR": data_dir,
            },
            {"debounceMs": debounce_ms},
        )
        try:
            session.open(URI, "\n".join(lines) + "\n")
            line, col = middle, 0
            session.insert(URI, types.Position(line, 0), "\n")
            previous: str | None = None
            pending = []
            for char, delay in zip(snippet, keystroke_delays(snippet, size), strict=True):
                await asyncio.sleep(delay)
                session.insert(URI, types.Position(line, col), char)
                if char == "\n":
                    line, col = line + 1, 0
                else:
                    col += len(char.encode("utf-16-le")) // 2
                msg_id, future = session.request_inline(URI, types.Position(line, col))
                if previous is not None:
                    session.cancel(previous)
                previous = msg_id
                pending.append(future)
            await asyncio.sleep(debounce_ms / 1000 + 1.0)
            await asyncio.gather(*pending, return_exceptions=True)
            status = await session.status()
        finally:
            await session.stop()
        fim = fake.fim_requests()
    usage = [entry["usage"] for entry in fim if entry.get("usage")]
    extra = status["session"]
    shapes: dict[str, list[int]] = {}
    for entry in fim:
        if entry.get("usage") and entry.get("body"):
            shape = SHAPES.get(tuple(entry["body"].get("stop") or ()), "other")
            shapes.setdefault(shape, []).append(entry["usage"]["completion_tokens"])
    return {
        "shapes": shapes,
        "keys": len(snippet),
        "sent": len(fim),
        "aborted": sum(1 for entry in fim if entry["disconnected"]),
        "hit": sum(u["prompt_cache_hit_tokens"] for u in usage),
        "miss": sum(u["prompt_cache_miss_tokens"] for u in usage),
        "out": sum(u["completion_tokens"] for u in usage),
        "cost": float(status["cost"]),
        "overhead_p50": (extra["overheadP50Us"] or 0) / 1000,
        "overhead_p95": (extra["overheadP95Us"] or 0) / 1000,
        "edit_p50": (extra["editP50Us"] or 0) / 1000,
        "edit_p95": (extra["editP95Us"] or 0) / 1000,
        "prepare_p50": (extra["prepareP50Us"] or 0) / 1000,
        "prepare_p95": (extra["prepareP95Us"] or 0) / 1000,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def baseline(size: int, snippet: str) -> tuple[float, float]:
    """pygls's TextDocument: one edit plus the offset and window slicing a completion needs."""
    lines = make_file(size)
    document = TextDocument(URI, "\n".join(lines) + "\n", version=0)
    line, col = size // 2, 0
    timings = []
    for char in snippet[:60]:
        started = time.perf_counter()
        document.apply_change(
            types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(line, col), types.Position(line, col)), text=char
            )
        )
        if char == "\n":
            line, col = line + 1, 0
        else:
            col += 1
        offset = document.offset_at_position(types.Position(line, col))
        source = document.source
        prefix, suffix = source[max(0, offset - 6000) : offset], source[offset : offset + 2000]
        timings.append((time.perf_counter() - started) * 1000)
        assert prefix is not None and suffix is not None
    return statistics.median(timings), percentile(timings, 0.95)


def our_store(size: int, snippet: str) -> tuple[float, float]:
    """The same edits on our document store, plus building the context (in process)."""
    from deepseek_fim.documents import Document

    document = Document.from_text(URI, "python", 0, "\n".join(make_file(size)) + "\n")
    line, col = size // 2, 0
    timings = []
    for char in snippet[:60]:
        started = time.perf_counter()
        position = document.clamp(line, col)
        document.replace(position, position, char)
        if char == "\n":
            line, col = line + 1, 0
        else:
            col += 1
        build_context(document.lines, line, col, path="/bench/module.py", language_id="python")
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), percentile(timings, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (CI smoke)")
    parser.add_argument("--sizes", default=None)
    parser.add_argument("--debounce-ms", type=int, default=250)
    args = parser.parse_args()
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    )
    snippet = typed_snippet(args.quick)
    with tempfile.TemporaryDirectory() as data_dir:
        rows = []
        for size in sizes:
            result = asyncio.run(replay(size, snippet, args.debounce_ms, data_dir))
            base = baseline(size, snippet)
            ours = our_store(size, snippet)
            rows.append((size, result, base, ours))
        header = (
            f"{'lines':>7} {'keys':>5} {'sent':>5} {'aborted':>7} {'hit':>7} {'miss':>7} "
            f"{'out':>5} {'out/req':>7} {'cost USD':>10} | "
            f"{'server/compl ms':>15} {'didChange ms':>12} "
            f"{'prepare ms':>12} | "
            f"{'in-process edit+context ms':>26} {'pygls baseline ms':>17}"
        )
        print(header)
        print("-" * len(header))
        for size, r, base, ours in rows:
            print(
                f"{size:>7} {r['keys']:>5.0f} {r['sent']:>5.0f} {r['aborted']:>7.0f} "
                f"{r['hit']:>7.0f} {r['miss']:>7.0f} {r['out']:>5.0f} "
                f"{r['out'] / max(r['sent'], 1):>7.2f} {r['cost']:>10.6f} | "
                f"{r['overhead_p50']:>6.2f} / {r['overhead_p95']:<6.2f} "
                f"{r['edit_p50']:>5.2f} / {r['edit_p95']:<5.2f} "
                f"{r['prepare_p50']:>5.2f} / {r['prepare_p95']:<5.2f} | "
                f"{ours[0]:>12.3f} / {ours[1]:<11.3f} {base[0]:>7.3f} / {base[1]:<7.3f}"
            )
        print("(p50 / p95; cost is cumulative over the runs, read from the shared ledger)")
        print()
        print("Output tokens by request shape (line: stop at the line end; next: at a blank line,")
        print("after a finished line; block: at two blank lines):")
        for size, r, _, _ in rows:
            parts = []
            for shape in ("line", "next", "block", "other"):
                outs = r["shapes"].get(shape)
                if outs:
                    parts.append(f"{shape} {len(outs)} req, {sum(outs) / len(outs):.1f} out/req")
            print(f"{size:>7}  " + "; ".join(parts))
        print()
        print("$ deepseek-fim usage")
        subprocess.run(  # the CLI, on the ledger the runs wrote
            [
                sys.executable,
                "-c",
                "from deepseek_fim.cli import main; main()",
                "usage",
                "--data-dir",
                data_dir,
            ],
            check=True,
        )


if __name__ == "__main__":
    main()

"""Cold start: how long a new `deepseek-fim-ls` takes to answer, against the import floor.

A server is started for every editor window, so its start is paid often. Measured from the
process's spawn, in one run and interleaved so that the load of the machine falls on all alike:
- the import floor: a Python process that imports what any pygls server over httpx needs
  (`pygls.lsp.server`, `httpx`, `lsprotocol.types`) and says so on stdout;
- the server: spawn to the `initialize` response, and spawn to the first inline completion
  answered (initialize, initialized, didOpen, textDocument/inlineCompletion against the fake
  DeepSeek API answering at once);
- with `--previous DIR`, the same for the server of another checkout (its own .venv);
- with `--latency-ms N`, the fake takes N ms to answer every call (the FIM request, the model
  list, the balance), as a real API does: then the first completion also shows the round trips
  it waits on (the floor still has none);
- with `--ask-after-ms N`, the first completion is asked N ms after the initialize answer (the
  user's first key comes later than the editor's start) and timed from the ask.

Printed: medians (p25-p75) and each server's ratio to the floor. Goal: the first answer within
1.15x the floor.

Usage: bench_cold_start.py [--repeat 15] [--previous DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.raw_lsp import RawServer

FLOOR = "import pygls.lsp.server, httpx, lsprotocol.types; print('ready', flush=True)"
URI = "file:///work/project/app.py"


def floor_s(python: str) -> float:
    started = time.perf_counter()
    process = subprocess.Popen([python, "-c", FLOOR], stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.wait()
    return elapsed


def server_s(
    python: str, fake: FakeDeepSeek, data_dir: str, ask_after_s: float = 0.0
) -> tuple[float, float]:
    """Seconds from spawn to the initialize response, and to the first completion answered
    (asked `ask_after_s` after the initialize response: then the seconds from the ask)."""
    env = {
        "DEEPSEEK_API_KEY": "sk-fake-cold-start",
        "DEEPSEEK_BASE_URL": fake.url,
        "DEEPSEEK_FIM_DATA_DIR": data_dir,
    }
    started = time.perf_counter()
    server = RawServer(env, {"debounceMs": 0}, command=(python, "-m", "deepseek_fim", "--stdio"))
    try:
        server.initialize({"debounceMs": 0})
        initialized = time.perf_counter() - started
        if ask_after_s:
            time.sleep(ask_after_s)
            started = time.perf_counter()
        server.open_document(URI, "def add(a, b):\n    ")
        answer = server.call("textDocument/inlineCompletion", server.inline_params(URI, 1, 4))
        first = time.perf_counter() - started
        items = (answer.get("result") or {}).get("items") or []
        if not items:
            raise SystemExit(f"the first completion was not answered: {answer}")
        return initialized, first
    finally:
        server.shutdown()


def describe(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    q = statistics.quantiles(ms, n=4) if len(ms) > 1 else [ms[0]] * 3
    return f"{statistics.median(ms):.0f} ms ({q[0]:.0f}-{q[2]:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--previous", type=Path, help="a checkout with its own .venv")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="the fake's answer time")
    parser.add_argument(
        "--ask-after-ms",
        type=float,
        default=0.0,
        help="ask for the first completion this long after the initialize answer (a user's "
        "first key) and time it from the ask",
    )
    args = parser.parse_args()
    servers = {"now": sys.executable}
    if args.previous is not None:
        servers = {"previous": str(args.previous / ".venv" / "bin" / "python"), **servers}
    floors: list[float] = []
    inits: dict[str, list[float]] = {name: [] for name in servers}
    firsts: dict[str, list[float]] = {name: [] for name in servers}
    latency = {"latency_ms": args.latency_ms, "meta_latency_ms": args.latency_ms}
    with (
        FakeDeepSeek(completion="return a + b", **latency) as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for name, python in servers.items():  # warm the file cache once
            floor_s(python)
            server_s(python, fake, os.path.join(tmp, f"warm-{name}"))
        for index in range(args.repeat):
            floors.append(floor_s(sys.executable))
            for name, python in servers.items():
                initialized, first = server_s(
                    python, fake, os.path.join(tmp, f"{name}-{index}"), args.ask_after_ms / 1000
                )
                inits[name].append(initialized)
                firsts[name].append(first)
    floor = statistics.median(floors)
    print(f"{args.repeat} starts each, interleaved; the fake answers in {args.latency_ms:.0f} ms")
    print(f"import floor (pygls.lsp.server, httpx, lsprotocol.types): {describe(floors)}")
    for name in servers:
        init, first = statistics.median(inits[name]), statistics.median(firsts[name])
        if args.ask_after_ms:
            print(
                f"{name}: to initialize {describe(inits[name])} = {init / floor:.2f}x the floor; "
                f"the first completion, asked {args.ask_after_ms:.0f} ms later: "
                f"{describe(firsts[name])} from the ask"
            )
            continue
        print(
            f"{name}: to initialize {describe(inits[name])} = {init / floor:.2f}x the floor; "
            f"to the first completion {describe(firsts[name])} = {first / floor:.2f}x"
        )


if __name__ == "__main__":
    main()

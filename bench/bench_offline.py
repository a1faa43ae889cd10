"""Recovery after a connection-level outage: the previous server (main) and this one, one run.

The fake DeepSeek API stops listening (connections refused, as when the API process is killed)
for 45 s and for 5 minutes while a typist keeps pausing (a pause every 1 to 3 s, seeded, the
same schedule for both versions), then listens again at a moment between two pauses. Printed per
version and outage: the time from the first pause after the API is back to the first ghost text
(the issue's goal: <= 5 s), from the API's return to it, and the FIM requests tried per pause
during the outage.

Time: both servers run on a budget clock sped up `--scale` times (the current one through
`DEEPSEEK_FIM_TIME_SCALE`; the previous one, which has no such setting, through a patched
`budget.clock.utc_now`, the clock its backoff reads), so five minutes take ten real seconds at
the default scale of 30 and every figure is in simulated seconds. The HTTP round trip itself is
not sped up: a figure carries about `scale` times the real time of one LSP request on top.

The previous version is `git archive REF -- server` (default `main`) run with this venv's Python;
`--quick` runs only this version, one 45 s outage (a smoke run).

Usage: bench_offline.py [--quick] [--repeat 5] [--scale 30] [--previous-ref main]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.lsp_session import SERVER_COMMAND
from deepseek_fim.testing.raw_lsp import RawServer
from previous_server import previous_tree

URI = "file:///bench/project/app.py"
SOURCE = "def add(a, b):\n    "
REPO = Path(__file__).resolve().parent.parent
GIVE_UP_S = 180.0  # simulated seconds after the API is back
# The previous server has no DEEPSEEK_FIM_TIME_SCALE: the same clock, patched in before any
# module binds `utc_now` (they import it by name).
PATCHED_CLOCK_SERVER = """
import os, time, datetime
import deepseek_fim.budget.clock as clock
scale = float(os.environ["DEEPSEEK_FIM_TIME_SCALE"])
start, started = clock.utc_now(), time.monotonic()
clock.utc_now = lambda: start + datetime.timedelta(seconds=(time.monotonic() - started) * scale)
from deepseek_fim.lsp.main import main
main(["--stdio"])
"""


@dataclass
class Recovery:
    """One outage and what followed it (simulated seconds)."""

    from_first_pause: float | None  # None: no ghost within GIVE_UP_S
    from_back: float | None
    pauses: int
    tries: int


class Typist:
    """Pauses at seeded gaps on the sped-up clock; one new character before each pause."""

    def __init__(self, server: RawServer, scale: float, seed: int) -> None:
        self.server = server
        self.scale = scale
        self.rng = random.Random(seed)
        self.started = time.monotonic()
        self.count = 0

    def now(self) -> float:
        return (time.monotonic() - self.started) * self.scale

    def wait_until(self, moment: float) -> None:
        wait = (moment - self.now()) / self.scale
        if wait > 0:
            time.sleep(wait)

    def next_gap(self) -> float:
        return self.rng.uniform(1.0, 3.0)

    def pause(self) -> bool:
        """Type a character and ask for a completion; True if a ghost came."""
        self.count += 1
        line = len(SOURCE.split("\n")) - 1 + self.count
        letter = "abcdefghijklmnopqrstuvwxyz"[self.count % 26]
        self.server.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": URI, "version": self.count + 1},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": line - 1, "character": 0},
                            "end": {"line": line - 1, "character": 0},
                        },
                        "text": f"{letter}\n",
                    }
                ],
            },
        )
        answer = self.server.call(
            "textDocument/inlineCompletion",
            self.server.inline_params(URI, line - 1, 1),
            timeout=30,
        )
        result = answer.get("result") or {}
        return bool(result.get("items"))


def sent(server: RawServer) -> int:
    return int(server.call("deepseekFim/status", {})["result"]["session"]["sent"])


def one_outage(typist: Typist, fake: FakeDeepSeek, seconds: float) -> Recovery:
    server = typist.server
    before = sent(server)
    fake.refuse_connections()
    began = typist.now()
    back_at = began + seconds
    moment, pauses = began, 0
    # A pause waits for its answer (the floor between tries of the current version is waited
    # out inside it), so the next one starts when it is due or, if late, at once.
    while moment < back_at:
        typist.wait_until(moment)
        typist.pause()
        pauses += 1
        moment = max(moment + typist.next_gap(), typist.now())
    tries = sent(server) - before
    typist.wait_until(back_at)
    fake.accept_connections()
    back = typist.now()
    first_pause: float | None = None
    while typist.now() < back + GIVE_UP_S:
        typist.wait_until(moment)
        started = typist.now()
        first_pause = started if first_pause is None else first_pause
        if typist.pause():
            ghost = typist.now()
            return Recovery(ghost - first_pause, ghost - back, pauses, tries)
        moment = max(moment + typist.next_gap(), typist.now())
    return Recovery(None, None, pauses, tries)


def run_version(
    command: Sequence[str], env: dict[str, str], outages: list[float], repeat: int, scale: float
) -> dict[float, list[Recovery]]:
    results: dict[float, list[Recovery]] = {seconds: [] for seconds in outages}
    with FakeDeepSeek() as fake, tempfile.TemporaryDirectory() as data_dir:
        server_env = {
            **env,
            "DEEPSEEK_API_KEY": "sk-fake-bench-key",
            "DEEPSEEK_BASE_URL": fake.url,
            "DEEPSEEK_FIM_DATA_DIR": data_dir,
            "DEEPSEEK_FIM_TIME_SCALE": str(scale),
        }
        server = RawServer(server_env, command=command)
        try:
            server.initialize({"debounceMs": 0})
            server.open_document(URI, SOURCE + "\n")
            typist = Typist(server, scale, seed=20)
            if not typist.pause():
                raise SystemExit("no ghost before the outage: is the fake reachable?")
            for _ in range(repeat):
                for seconds in outages:
                    results[seconds].append(one_outage(typist, fake, seconds))
                    typist.wait_until(typist.now() + typist.next_gap())
        finally:
            server.shutdown()
    return results


def seconds_text(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    missing = len(values) - len(known)
    if not known:
        return f"none within {GIVE_UP_S:g} s"
    text = f"{statistics.median(known):.1f} / {max(known):.1f}"
    return text + (f" ({missing} never)" if missing else "")


def report(name: str, results: dict[float, list[Recovery]]) -> None:
    for seconds, runs in results.items():
        pauses = sum(r.pauses for r in runs)
        tries = sum(r.tries for r in runs)
        each = ", ".join(
            f"{r.from_first_pause:.1f}" if r.from_first_pause is not None else "never" for r in runs
        )
        print(
            f"| {name} | {seconds:g} s | {seconds_text([r.from_first_pause for r in runs])} "
            f"| {seconds_text([r.from_back for r in runs])} | {tries} / {pauses} | {each} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="this version, one 45 s outage")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=float, default=30.0)
    parser.add_argument("--previous-ref", default="main")
    args = parser.parse_args(argv)
    outages = [45.0] if args.quick else [45.0, 300.0]
    repeat = 1 if args.quick else args.repeat
    env: dict[str, Any] = {}
    print(
        f"Outage (connections refused), a pause every 1-3 s; simulated seconds at scale "
        f"{args.scale:g}, {repeat} outage(s) each; median / max\n"
    )
    print(
        "| version | outage | first pause after the API is back -> ghost | API back -> ghost "
        "| tries / pauses during the outage | each run, from the first pause |"
    )
    print("|---|---|---|---|---|---|")
    if not args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            server_dir = previous_tree(args.previous_ref, Path(tmp))
            previous_env = {"PYTHONPATH": str(server_dir)}  # ahead of this tree's .pth
            command = [sys.executable, "-c", PATCHED_CLOCK_SERVER]
            results = run_version(command, previous_env, outages, repeat, args.scale)
            report(f"previous ({args.previous_ref})", results)
    results = run_version(SERVER_COMMAND, env, outages, repeat, args.scale)
    report("now", results)
    worst = [r.from_first_pause for runs in results.values() for r in runs]
    return 0 if all(v is not None and v <= 5.0 for v in worst) else 1


if __name__ == "__main__":
    sys.exit(main())

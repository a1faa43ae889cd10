"""Soak: type into the real server for N minutes and watch what the process holds on to.

A scripted editor types real code at a steady rate (20 keys/s by default) into a 1,000-line file,
with an inline-completion request after every keystroke and a `$/cancelRequest` for the previous
one, and a pause at each line end (600 ms: the debounce passes and a request goes out), against the
loopback fake DeepSeek API (150 ms per answer). After each pass over the snippet it deletes what it
typed in one change, so the document does not grow: anything that grows is held by the server.
Every `--sample-seconds` it prints, for the typing server and for an idle server started alongside
(the baseline of the same run): resident memory, open file descriptors, sockets (connections to the
API), asyncio tasks and the futures pygls holds. At the end: the RSS slope (least squares, kB per
minute, after the first fifth of the run as warm-up), and how many requests went unanswered.

Usage: bench_soak.py [--minutes 10] [--keys-per-second 20] [--sample-seconds 30]
                     [--line-pause-ms 600] [--quick]
"""

from __future__ import annotations

import argparse
import inspect
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.raw_lsp import RawServer

URI = "file:///bench/project/module.py"


@dataclass
class Sample:
    seconds: float
    rss: int
    fds: int
    sockets: int
    tasks: int
    futures: int


def source_lines() -> list[str]:
    import argparse as corpus

    base = inspect.getsource(corpus).splitlines()
    return [base[i % len(base)] for i in range(1000)]


def snippet() -> str:
    import json.decoder as corpus

    lines = [line for line in inspect.getsource(corpus).splitlines()[80:140] if line.strip()]
    return "\n".join(lines[:12]) + "\n"


def sample(server: RawServer, started: float) -> Sample:
    status = server.call("deepseekFim/status", {}, 30)["result"]
    sockets = sum(
        1
        for fd in os.listdir(f"/proc/{server.process.pid}/fd")
        if _readlink(f"/proc/{server.process.pid}/fd/{fd}").startswith("socket:")
    )
    return Sample(
        time.monotonic() - started,
        server.rss_bytes(),
        server.open_fds(),
        sockets,
        status["process"]["asyncioTasks"],
        status["process"]["pendingFutures"],
    )


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def slope_kb_per_minute(samples: list[Sample]) -> float:
    """Least-squares slope of RSS over time, after the first fifth as warm-up."""
    kept = samples[len(samples) // 5 :]
    if len(kept) < 2:
        return 0.0
    xs = [s.seconds / 60 for s in kept]
    ys = [s.rss / 1000 for s in kept]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var


def change(
    server: RawServer, version: int, start: tuple[int, int], end: tuple[int, int], text: str
) -> None:
    server.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": URI, "version": version},
            "contentChanges": [
                {
                    "range": {
                        "start": {"line": start[0], "character": start[1]},
                        "end": {"line": end[0], "character": end[1]},
                    },
                    "text": text,
                }
            ],
        },
    )


def inline_request(server: RawServer, line: int, col: int) -> int:
    return server.request("textDocument/inlineCompletion", server.inline_params(URI, line, col))


def run(
    minutes: float, keys_per_second: float, sample_seconds: float, line_pause: float
) -> dict[str, Any]:
    lines = source_lines()
    text = "\n".join(lines) + "\n"
    typed = snippet()
    with (
        FakeDeepSeek(completion="    return value", latency_ms=150) as fake,
        tempfile.TemporaryDirectory() as data_dir,
    ):
        env = {
            "DEEPSEEK_API_KEY": "sk-fake-soak-key",
            "DEEPSEEK_BASE_URL": fake.url,
            "DEEPSEEK_FIM_DATA_DIR": data_dir,
        }
        typing = RawServer(env)
        idle = RawServer(env)
        for server in (typing, idle):
            server.initialize({"debounceMs": 250})
            server.open_document(URI, text)
        started = time.monotonic()
        samples: dict[str, list[Sample]] = {"typing": [], "idle": []}
        requests: list[int] = []
        version, keys, passes = 1, 0, 0
        home = (len(lines) // 2, 0)
        line, col = home
        next_sample = started
        interval = 1 / keys_per_second
        deadline = started + minutes * 60
        next_key = started
        previous: int | None = None
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_sample:
                for name, server in (("typing", typing), ("idle", idle)):
                    samples[name].append(sample(server, started))
                s, b = samples["typing"][-1], samples["idle"][-1]
                print(
                    f"{s.seconds:7.0f}s  typing: RSS {s.rss / 1e6:6.1f} MB fds {s.fds:3d} "
                    f"sockets {s.sockets:2d} tasks {s.tasks:3d} futures {s.futures:3d}  |  "
                    f"idle: RSS {b.rss / 1e6:6.1f} MB fds {b.fds:3d} tasks {b.tasks:3d}  "
                    f"keys {keys}",
                    flush=True,
                )
                next_sample += sample_seconds
            if now < next_key:
                time.sleep(min(next_key, next_sample) - now)
                continue
            next_key += interval
            char = typed[keys % len(typed)]
            version += 1
            change(typing, version, (line, col), (line, col), char)
            line, col = (line + 1, 0) if char == "\n" else (line, col + 1)
            if char == "\n":  # a pause at each line end: the debounce passes, a request goes out
                next_key += line_pause
            keys += 1
            msg_id = inline_request(typing, line, col)
            if previous is not None:
                typing.notify("$/cancelRequest", {"id": previous})
            previous = msg_id
            requests.append(msg_id)
            if keys % len(typed) == 0:  # a pass is done: take it back out in one change
                version += 1
                change(typing, version, home, (line, col), "")
                line, col = home
                passes += 1
        time.sleep(1.5)
        for name, server in (("typing", typing), ("idle", idle)):
            samples[name].append(sample(server, started))
        unanswered = sum(1 for msg_id in requests if _unanswered(typing, msg_id))
        alive = typing.alive() and idle.alive()
        for server in (typing, idle):
            server.shutdown()
        return {
            "keys": keys,
            "passes": passes,
            "requests": len(requests),
            "unanswered": unanswered,
            "sent": len(fake.fim_requests()),
            "alive": alive,
            "samples": samples,
        }


def _unanswered(server: RawServer, msg_id: int) -> bool:
    try:
        server.wait_response(msg_id, timeout=0.01)
    except TimeoutError:
        return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--keys-per-second", type=float, default=20.0)
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    parser.add_argument("--line-pause-ms", type=float, default=600.0, help="pause at line ends")
    parser.add_argument("--quick", action="store_true", help="30 s, a sample every 5 s (CI)")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.sample_seconds = 0.5, 5.0
    result = run(args.minutes, args.keys_per_second, args.sample_seconds, args.line_pause_ms / 1000)
    typing, idle = result["samples"]["typing"], result["samples"]["idle"]
    print()
    print(
        f"{args.minutes:g} min at {args.keys_per_second:g} keys/s: {result['keys']} keys, "
        f"{result['requests']} inline requests, {result['unanswered']} unanswered, "
        f"{result['sent']} sent to the API, server alive: {result['alive']}"
    )
    for name, samples in (("typing", typing), ("idle (baseline)", idle)):
        first, last = samples[len(samples) // 5], samples[-1]
        print(
            f"{name:>16}: RSS slope {slope_kb_per_minute(samples):+8.1f} kB/min "
            f"(RSS {first.rss / 1e6:.1f} -> {last.rss / 1e6:.1f} MB after warm-up); "
            f"fds {min(s.fds for s in samples)}..{max(s.fds for s in samples)}, "
            f"sockets {min(s.sockets for s in samples)}..{max(s.sockets for s in samples)}, "
            f"tasks {min(s.tasks for s in samples)}..{max(s.tasks for s in samples)}, "
            f"futures {min(s.futures for s in samples)}..{max(s.futures for s in samples)}"
        )


if __name__ == "__main__":
    main()

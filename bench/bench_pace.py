"""Pacing's measured effect: the same typing with a heavy ledger, pacing off (baseline) vs auto.

The ledger is seeded with five days of use at a given cost per day (and the fake reports the
balance that leaves), so that the money forecast runs out before the grant expires: at USD 0.50
a day the pace factor is 2, at USD 1.00 it is 4. Then twelve lines of real code are typed into
the middle of a 10k-line file at a seeded human cadence (bench_typing's, plus hesitations in the
middle of words now and then: the pauses pacing waits out), an inline request per keystroke and a
`$/cancelRequest` for the previous one, against the real server and the fake API (150 ms).

Printed per run: the pace factor and windows the server reported, FIM requests sent, requests per
minute of typing, requests aborted in flight, prompt tokens per request (prompt + suffix as the
fake counts them, over every request it received), cache hit / miss tokens, and the cost the fake
charged. `pace: off` with the same ledger is the baseline, measured in the same run.

Usage: bench_pace.py [--quick] [--per-day 0.50,1.00] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from decimal import Decimal
from typing import Any

from lsprotocol import types

from bench_typing import keystroke_delays, make_file, typed_snippet
from deepseek_fim.testing.fake_deepseek import FakeDeepSeek
from deepseek_fim.testing.fake_tokens import count_tokens
from deepseek_fim.testing.ledger_seed import seed_daily_spending
from deepseek_fim.testing.lsp_session import Session

URI = "file:///bench/project/module.py"
SIZE = 10_000
FAKE_ROW = {"hit": "0.0028", "miss": "0.14", "output": "0.28", "currency": "USD"}
PRICES = {"deepseek-flash": FAKE_ROW, "deepseek-v4-flash": FAKE_ROW}
MILLION = Decimal(1_000_000)


def hesitant_delays(text: str, seed: int) -> list[float]:
    """bench_typing's cadence, plus a hesitation inside a word now and then (8% of letters)."""
    rng = random.Random(seed * 31 + 1)
    delays = keystroke_delays(text, seed)
    for i, char in enumerate(text[:-1]):
        if char.isalnum() and text[i + 1].isalnum() and rng.random() < 0.08:
            delays[i + 1] = rng.uniform(0.3, 1.0)
    return delays


def seed_ledger(data_dir: str, per_day: Decimal) -> Decimal:
    """Five days of use at `per_day` USD; return the balance that leaves of USD 8.40."""
    seed_daily_spending(data_dir, per_day)
    return Decimal("8.40") - 5 * per_day


async def replay(pace: str, per_day: Decimal, snippet: str, delays: list[float]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data_dir:
        balance = seed_ledger(data_dir, per_day)
        fake_api = FakeDeepSeek(completion="    return value", latency_ms=150, balance=str(balance))
        with fake_api as fake:
            session = await Session.start(
                {
                    "DEEPSEEK_API_KEY": "sk-fake-bench-key",
                    "DEEPSEEK_BASE_URL": fake.url,
                    "DEEPSEEK_FIM_DATA_DIR": data_dir,
                },
                {"debounceMs": 250, "pace": pace, "prices": PRICES},
            )
            try:
                lines = make_file(SIZE)
                session.open(URI, "\n".join(lines) + "\n")
                await session.wait_for_budget(lambda p: p["remainingFrom"] == "balance")
                line, col = SIZE // 2, 0
                session.insert(URI, types.Position(line, 0), "\n")
                previous: str | None = None
                pending = []
                for char, delay in zip(snippet, delays, strict=True):
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
                await asyncio.sleep(1.5)
                await asyncio.gather(*pending, return_exceptions=True)
                status = await session.status()
            finally:
                await session.stop()
            fim = fake.fim_requests()
    usage = [entry["usage"] for entry in fim if entry.get("usage")]
    prompt_tokens = [
        count_tokens(entry["body"]["prompt"]) + count_tokens(entry["body"]["suffix"])
        for entry in fim
    ]
    hit = sum(u["prompt_cache_hit_tokens"] for u in usage)
    miss = sum(u["prompt_cache_miss_tokens"] for u in usage)
    out = sum(u["completion_tokens"] for u in usage)
    row = {k: Decimal(v) for k, v in FAKE_ROW.items() if k != "currency"}
    cost = (hit * row["hit"] + miss * row["miss"] + out * row["output"]) / MILLION
    minutes = sum(delays) / 60
    return {
        "pace": status["pace"],
        "sent": len(fim),
        "per_minute": len(fim) / minutes,
        "aborted": sum(1 for entry in fim if entry["disconnected"]),
        "possibly_billed": status["session"]["possiblyBilled"],
        "prompt_per_request": sum(prompt_tokens) / len(prompt_tokens) if prompt_tokens else 0.0,
        "hit": hit,
        "miss": miss,
        "cost": cost,
        "minutes": minutes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (CI smoke)")
    parser.add_argument("--per-day", default="0.50,1.00", help="seeded USD per day, comma list")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    snippet = typed_snippet(args.quick)
    cadences = {
        "bench_typing": keystroke_delays(snippet, args.seed),
        "hesitant": hesitant_delays(snippet, args.seed),
    }
    per_days = [Decimal(v) for v in args.per_day.split(",")]
    if args.quick:
        per_days, cadences = per_days[:1], {"hesitant": cadences["hesitant"]}
    header = (
        f"{'cadence':<12} {'USD/day':>7} {'pace':>4} {'factor':>6} {'windows':>9} "
        f"{'sent':>5} {'req/min':>7} {'aborted':>7} {'prompt tok/req':>14} {'hit':>7} "
        f"{'miss':>7} {'cost USD':>10}"
    )
    print(header)
    print("-" * len(header))
    for cadence, delays in cadences.items():
        for per_day in per_days:
            for pace in ("off", "auto"):
                r = asyncio.run(replay(pace, per_day, snippet, delays))
                windows = f"{r['pace']['prefixTokens']}/{r['pace']['suffixTokens']}"
                print(
                    f"{cadence:<12} {per_day:>7} {pace:>4} {r['pace']['factor']:>6g} "
                    f"{windows:>9} {r['sent']:>5} {r['per_minute']:>7.1f} {r['aborted']:>7} "
                    f"{r['prompt_per_request']:>14.0f} {r['hit']:>7} {r['miss']:>7} "
                    f"{r['cost']:>10.6f}"
                )
    print(
        f"(10k-line file, {len(snippet)} keys; req/min over the typing time; prompt tokens "
        "counted by the fake's tokenizer over every request it received)"
    )


if __name__ == "__main__":
    main()

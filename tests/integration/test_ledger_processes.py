"""Several processes on one ledger: nothing lost under concurrency, nothing lost under SIGKILL."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from deepseek_fim.budget.ledger import LEDGER_FILE, Ledger

WORKER = r"""
import os, sys, time
from decimal import Decimal
from deepseek_fim.budget.ledger import Ledger

data_dir, tag, count, go_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ledger = Ledger(data_dir)
print("ready", flush=True)
while not os.path.exists(go_file):
    time.sleep(0.001)
i = 0
while count < 0 or i < count:
    rid = ledger.record(
        model="deepseek-chat", hit=i % 7, miss=1, output=2, cost=Decimal("0.00000123"),
        currency="USD", outcome="shown", latency_ms=i % 500, request_id=f"{tag}-{i}",
        session_id=tag,
    )
    print(rid, flush=True)
    i += 1
ledger.close()
"""


def _start(data_dir: Path, tag: str, count: int, go_file: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(data_dir), tag, str(count), str(go_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_two_processes_record_concurrently(tmp_path: Path) -> None:
    go = tmp_path / "go"
    workers = [_start(tmp_path, tag, 2000, go) for tag in ("vscode", "neovim")]
    go.touch()
    outputs = [w.communicate(timeout=120) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    ids = [set(map(int, out.split())) for out, _ in outputs]
    assert len(ids[0]) == len(ids[1]) == 2000
    assert not ids[0] & ids[1]
    with Ledger(tmp_path) as ledger:
        totals = ledger.totals()
        assert totals.requests == 4000
        assert totals.miss == 4000 and totals.output == 8000
        assert ledger.session_stats("vscode").requests == 2000
        assert ledger.session_stats("neovim").requests == 2000
        assert ledger.integrity_check() == "ok"
    # The writes really interleaved: each writer's ids are not one contiguous block.
    first = sorted(ids[0])
    assert first[-1] - first[0] + 1 > len(first)


def test_sigkill_mid_burst_loses_no_committed_record(tmp_path: Path) -> None:
    go = tmp_path / "go"
    go.touch()
    committed: set[int] = set()
    for round_, threshold in enumerate((300, 1200, 50)):
        victim = _start(tmp_path, f"victim{round_}", -1, go)
        # A second writer keeps the database busy while the victim dies.
        bystander = _start(tmp_path, f"bystander{round_}", 1500, go)
        assert victim.stdout is not None
        seen = 0
        while seen < threshold:
            line = victim.stdout.readline()
            assert line, victim.stderr.read() if victim.stderr else ""
            committed.add(int(line))
            seen += 1
        os.kill(victim.pid, signal.SIGKILL)
        rest, _ = victim.communicate(timeout=30)
        committed.update(int(x) for x in rest.split())  # printed after commit, before the kill
        assert victim.returncode == -signal.SIGKILL
        bystander_out, err = bystander.communicate(timeout=120)
        assert bystander.returncode == 0, err
        committed.update(int(x) for x in bystander_out.split())

    conn = sqlite3.connect(tmp_path / LEDGER_FILE)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        present = {row[0] for row in conn.execute("SELECT id FROM usage")}
        daily_requests = conn.execute("SELECT SUM(requests) FROM daily").fetchone()[0]
    finally:
        conn.close()
    missing = committed - present
    assert not missing, f"{len(missing)} committed records lost"
    # The per-day sums were written in the same transactions: they agree with the rows.
    assert daily_requests == len(present)
    with Ledger(tmp_path) as ledger:  # readable and writable again
        ledger.record(model="m", hit=0, miss=0, output=1, cost=0, currency="USD", outcome="shown")  # type: ignore[arg-type]
        assert ledger.totals().requests == len(present) + 1


def test_record_timing(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        start = time.perf_counter()
        for i in range(1000):
            ledger.record(
                model="deepseek-chat",
                hit=i,
                miss=1,
                output=1,
                cost=Decimal("0.000001"),
                currency="USD",
                outcome="shown",
            )
        per_record_ms = time.perf_counter() - start
    print(f"record(): {per_record_ms:.3f} ms per record (1000 commits)")
    assert per_record_ms < 5

"""The command line on bad positions and damaged ledgers: one clear message, never a traceback."""

import sqlite3
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "deepseek_fim.cli"]


def run(args, tmp_path, fake=None, data_dir=None):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DEEPSEEK_FIM_DATA_DIR": str(data_dir or tmp_path / "data"),
    }
    if fake is not None:
        env |= {"DEEPSEEK_API_KEY": "sk-fake-cli", "DEEPSEEK_BASE_URL": fake.url}
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("location", "says"),
    [
        ("0:0", "count from 1"),
        ("-1:1", "1-based"),
        ("1e30:1", "1-based"),
        ("9:1", "past its end"),
        ("2:7", "past its end"),
    ],
)
def test_bad_positions_exit_2_with_a_message(fake, tmp_path, location, says):
    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    \n", encoding="utf-8")
    result = run(["complete", f"{source}:{location}"], tmp_path, fake)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr
    assert fake.fim_requests() == []


@pytest.mark.parametrize(
    "damage", ["DROP TABLE usage", "UPDATE daily SET hit = 'abc'", "UPDATE usage SET miss = 'x'"]
)
def test_damaged_ledger_fails_before_sending(fake, tmp_path, damage):
    source = tmp_path / "calc.py"
    source.write_text("def add(a, b):\n    \n", encoding="utf-8")
    assert run(["complete", f"{source}:2:5"], tmp_path, fake).returncode == 0
    with sqlite3.connect(tmp_path / "data" / "ledger.sqlite3") as conn:
        conn.execute(damage)
    sent = len(fake.fim_requests())
    result = run(["complete", f"{source}:2:5"], tmp_path, fake)
    assert result.returncode == 1
    assert "Nothing was sent" in result.stderr and "Traceback" not in result.stderr
    assert len(fake.fim_requests()) == sent
    usage = run(["usage"], tmp_path)
    assert usage.returncode == 1 and "cannot read the ledger" in usage.stderr


def test_usage_with_a_data_dir_that_is_a_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(["usage"], tmp_path, data_dir=blocker)
    assert result.returncode == 1
    assert "not a directory" in result.stderr and "Traceback" not in result.stderr

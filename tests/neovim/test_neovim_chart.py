"""The Neovim plugin's text chart is the CLI's: the same `daily` series gives the same lines."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PLUGIN, nvim_binary

from deepseek_fim.budget.chart_text import render_chart
from deepseek_fim.budget.daily import daily_json
from deepseek_fim.budget.grant import GrantConfig, compute_grant
from deepseek_fim.budget.ledger import DayRow, Totals

pytestmark = pytest.mark.editor

START = date(2026, 11, 20)
RENDER_LUA = """
vim.opt.rtp:prepend(PLUGIN)
local cases = vim.json.decode(table.concat(vim.fn.readfile(INPUT), "\\n"))
local out = {}
for i, daily in ipairs(cases) do
  out[i] = require("deepseek_fim.chart").render(daily)
end
vim.fn.writefile({ vim.json.encode(out) }, OUTPUT)
vim.cmd("qa!")
"""


def series(
    tokens_per_day: list[tuple[int, int, int]],
    today_index: int,
    days: int = 30,
    grant: int = 5_000_000,
    cost: str = "0.002",
) -> dict:
    rows = [
        DayRow(START + timedelta(days=i), 10, h, m, o, {"USD": Decimal(cost)})
        for i, (h, m, o) in enumerate(tokens_per_day)
    ]
    totals = Totals(
        requests=10 * len(rows),
        hit=sum(r.hit for r in rows),
        miss=sum(r.miss for r in rows),
        output=sum(r.output for r in rows),
        cost_by_currency={"USD": Decimal(cost) * len(rows)},
    )
    config = GrantConfig(tokens=grant, start_date=START, days=days)
    today = START + timedelta(days=today_index)
    status = compute_grant(
        totals, rows, config=config, grant_start=START, start_source="setting", today=today
    )
    return daily_json(status, rows)


CASES = [
    series(
        [(48_839, 7_273, 2_015), (155_024, 52_609, 8_542), (0, 0, 0), (76_866, 33_270, 3_297)], 3
    ),
    series([(60, 30, 4)], 0),  # a 94-token history
    series([(600_000, 0, 0), (700_000, 10, 5)], 1, cost="2.00"),  # runs out before expiry
    series([(1000, 200, 30)] * 40, 39, days=365),  # a long grant
    series([(1000, 200, 30)] * 3, 45),  # expired
    series([], 0),  # no use yet
]


def test_lua_chart_equals_the_cli_chart(nvim_version: str, tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text(json.dumps(CASES))
    script = tmp_path / "render.lua"
    script.write_text(
        f"local PLUGIN, INPUT, OUTPUT = {json.dumps(str(PLUGIN))}, "
        f"{json.dumps(str(tmp_path / 'in.json'))}, {json.dumps(str(tmp_path / 'out.json'))}\n"
        + RENDER_LUA
    )
    env = {
        "XDG_CONFIG_HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(
        [
            str(nvim_binary(nvim_version)),
            "--headless",
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-n",
            "-c",
            f"luafile {script}",
        ],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )
    lua = json.loads((tmp_path / "out.json").read_text())
    for case, drawn in zip(CASES, lua, strict=True):
        assert drawn == render_chart(case)
    assert any("░ forecast" in line for line in lua[0])
    assert all("forecast to" not in line for line in lua[4]), "no forecast after expiry"

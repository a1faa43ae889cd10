"""The `daily` series as a text chart of Unicode blocks (under the table of `deepseek-fim usage`).

Two pictures: tokens per day as stacked bars (cache hit, cache miss, output) with the even daily
allowance marked, and the cumulative use against the grant, one column per day from the grant's
start to its last day, with the forecast after today. The Neovim plugin draws the same chart from
the same payload (clients/neovim/lua/deepseek_fim/chart.lua); keep the two in step.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

BAR_WIDTH = 40
PLOT_HEIGHT = 8
PLOT_WIDTH = 60
MAX_DAYS = 31
HIT, MISS, OUTPUT, FORECAST = "█", "▓", "░", "░"
EIGHTHS = " ▁▂▃▄▅▆▇█"


def _round(value: float) -> int:
    """Round half up (not Python's half to even), as the Lua chart does."""
    return math.floor(value + 0.5)


def _n(value: int) -> str:
    return f"{value:,}"


def _bar(day: dict[str, Any], scale: float, allowance_col: int) -> str:
    ends = []
    running = 0
    for key in ("hit", "miss", "output"):
        running += int(day[key])
        ends.append(_round(running / scale * BAR_WIDTH) if scale > 0 else 0)
    cells = [" "] * BAR_WIDTH
    start = 0
    for end, char in zip(ends, (HIT, MISS, OUTPUT), strict=True):
        for i in range(start, min(end, BAR_WIDTH)):
            cells[i] = char
        start = max(start, end)
    if int(day["total"]) > 0 and ends[-1] == 0:
        # Too small for a cell: one cell of the largest part, so use never looks like none.
        parts = {HIT: day["hit"], MISS: day["miss"], OUTPUT: day["output"]}
        cells[0] = max(parts, key=lambda c: parts[c])
    if 0 <= allowance_col < BAR_WIDTH and cells[allowance_col] == " ":
        cells[allowance_col] = "│"
    return "".join(cells)


def per_day_lines(daily: dict[str, Any]) -> list[str]:
    """Tokens per day (the last MAX_DAYS), stacked, with the even daily allowance marked `│`."""
    days = daily["days"][-MAX_DAYS:]
    allowance = int(daily["allowancePerDay"])
    scale = max([allowance, *(int(d["total"]) for d in days)])
    # The last cell when the allowance is the scale's top, so the mark is always drawn.
    allowance_col = min(_round(allowance / scale * BAR_WIDTH), BAR_WIDTH - 1) if scale > 0 else -1
    lines = [
        f"Tokens per day   {HIT} cache hit  {MISS} cache miss  {OUTPUT} output"
        f"   │ even share of the grant: {_n(allowance)}/day"
    ]
    if len(daily["days"]) > len(days):
        lines[0] += f" (the last {MAX_DAYS} days)"
    for day in days:
        bar = _bar(day, scale, allowance_col)
        # MM-DD: the table above has the full dates, and a bar needs the width.
        lines.append(f"{day['date'][5:]} {bar} {_n(int(day['total'])):>11}")
    return lines


def _column_values(daily: dict[str, Any]) -> tuple[list[int | None], list[int | None], int]:
    """Per day of the grant: the cumulative use so far, the forecast after today; today's index."""
    start = date.fromisoformat(daily["start"])
    end = date.fromisoformat(daily["end"])
    count = (end - start).days + 1
    used: list[int | None] = [None] * count
    for i, day in enumerate(daily["days"][:count]):
        used[i] = int(day["cumulative"])
    forecast: list[int | None] = [None] * count
    points = daily.get("forecast")
    if points:
        (d0, v0), (d1, v1) = (
            ((date.fromisoformat(p["date"]) - start).days, int(p["cumulative"])) for p in points
        )
        for i in range(max(d0 + 1, 0), min(d1, count - 1) + 1):
            forecast[i] = _round(v0 + (v1 - v0) * (i - d0) / (d1 - d0))
    today = (date.fromisoformat(daily["today"]) - start).days
    return used, forecast, today


def _height(value: int, grant: int) -> int:
    """Height in eighths of a cell; at least one eighth for any use."""
    if grant <= 0:
        return 0
    eighths = min(_round(value / grant * PLOT_HEIGHT * 8), PLOT_HEIGHT * 8)
    return max(eighths, 1) if value > 0 else 0


def grant_lines(daily: dict[str, Any]) -> list[str]:
    """Cumulative use against the grant, one column per day, the forecast after today."""
    grant = int(daily["grantTokens"])
    used, forecast, today = _column_values(daily)
    count = len(used)
    # Up to PLOT_WIDTH columns: several per day for a short grant, several days per column for a
    # long one (a column shows its last day).
    width = count * max(PLOT_WIDTH // count, 1) if count <= PLOT_WIDTH else PLOT_WIDTH
    day_of = [min(c * count // width, count - 1) for c in range(width)]
    label = len(_n(grant))
    points = daily.get("forecast")
    forecast_note = f"  {FORECAST} forecast to {points[-1]['date']}" if points else ""
    lines = [f"Grant used   █ used so far{forecast_note}   ┈ the grant: {_n(grant)} tokens"]
    lines.append(f"{_n(grant):>{label}} ┤" + "┈" * width)
    for row in range(PLOT_HEIGHT):
        floor = (PLOT_HEIGHT - 1 - row) * 8
        cells = []
        for i in day_of:
            value, char = used[i], ""
            if value is None:
                value, char = forecast[i], FORECAST
            fill = 0 if value is None else min(max(_height(value, grant) - floor, 0), 8)
            cells.append(" " if fill == 0 else (char or EIGHTHS[fill]))
        axis = "┼" if row == PLOT_HEIGHT - 1 else "│"
        prefix = f"{0:>{label}}" if row == PLOT_HEIGHT - 1 else " " * label
        lines.append(f"{prefix} {axis}" + "".join(cells))
    dates = daily["start"].ljust(max(width - len(daily["end"]), 11)) + daily["end"]
    lines.append(" " * (label + 2) + dates)
    if 0 <= today < count:
        col = next(c for c, day in enumerate(day_of) if day >= today)
        marker = f"▲ today ({daily['today']})"
        if col + len(marker) > width:
            marker = f"today ({daily['today']}) ▲"
            col = max(col - len(marker) + 1, 0)
        lines.append(" " * (label + 2 + col) + marker)
    return lines


def render_chart(daily: dict[str, Any]) -> list[str]:
    """Both pictures, with a blank line between them."""
    return [*per_day_lines(daily), "", *grant_lines(daily)]

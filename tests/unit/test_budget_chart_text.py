from deepseek_fim.budget.chart_text import BAR_WIDTH, grant_lines, per_day_lines, render_chart


def _daily(days, forecast=None, today="2026-11-22", grant=3_000_000):
    cumulative = 0
    out = []
    for i, (hit, miss, output) in enumerate(days):
        cumulative += hit + miss + output
        out.append(
            {
                "date": f"2026-11-{20 + i}",
                "hit": hit,
                "miss": miss,
                "output": output,
                "total": hit + miss + output,
                "cumulative": cumulative,
            }
        )
    return {
        "start": "2026-11-20",
        "end": "2026-12-19",
        "today": today,
        "grantTokens": grant,
        "allowancePerDay": grant // 30,
        "days": out,
        "forecast": forecast,
    }


def test_per_day_bars_are_stacked_hit_miss_output_on_one_scale():
    # allowance 100,000; the biggest day 200,000: the scale is 200,000 over 40 cells
    lines = per_day_lines(_daily([(100_000, 50_000, 50_000), (0, 0, 0), (20_000, 0, 5_000)]))
    assert "even share of the grant: 100,000/day" in lines[0]
    big, idle, small = lines[1:]
    assert big == "11-20 " + "█" * 20 + "▓" * 10 + "░" * 10 + "     200,000"
    # the allowance mark sits at cell 20 (100,000 of 200,000) where nothing covers it
    assert idle == "11-21 " + " " * 20 + "│" + " " * 19 + "           0"
    assert small.startswith("11-22 ████░" + " " * 15 + "│")
    assert small.endswith("25,000")
    assert all(len(line) == len(big) for line in lines[1:])


def test_a_tiny_day_still_shows_one_cell():
    line = per_day_lines(_daily([(94, 0, 0)]))[1]
    assert line[len("11-20 ")] == "█"
    assert len(line[6 : 6 + BAR_WIDTH].strip(" │")) == 1


def test_grant_plot_columns_rise_with_the_cumulative_use_and_the_forecast_follows():
    daily = _daily(
        [(750_000, 0, 0), (0, 0, 0), (750_000, 0, 0)],
        forecast=[
            {"date": "2026-11-22", "cumulative": 1_500_000},
            {"date": "2026-11-24", "cumulative": 3_000_000},
        ],
    )
    lines = grant_lines(daily)
    assert lines[0].startswith("Grant used   █ used so far  ░ forecast to 2026-11-24")
    assert lines[1] == "3,000,000 ┤" + "┈" * 60
    plot = [line[11:] for line in lines[2:10]]
    assert lines[9].startswith("        0 ┼")
    # two columns per day (30 days in 60 columns); day 1: a quarter (2 of 8 rows), day 3: a half
    column = lambda c: "".join(row[c] for row in plot)  # noqa: E731
    assert column(0) == "      ██"
    assert column(2) == "      ██"
    assert column(4) == "    ████"
    # after today, the forecast: 2,250,000 (6 rows) on 11-23 and the whole grant on 11-24
    assert column(6) == "  ░░░░░░"
    assert column(8) == "░░░░░░░░"
    assert column(10) == "        ", "nothing after the forecast's end"
    assert lines[10].strip().startswith("2026-11-20") and lines[10].endswith("2026-12-19")
    assert lines[11].index("▲ today (2026-11-22)") == 11 + 4


def test_a_long_grant_is_squeezed_into_sixty_columns():
    daily = _daily([(1000, 0, 0)] * 3)
    daily["end"] = "2027-11-19"
    lines = grant_lines(daily)
    assert lines[1] == "3,000,000 ┤" + "┈" * 60


def test_render_chart_has_both_pictures():
    lines = render_chart(_daily([(1, 2, 3)]))
    assert lines[0].startswith("Tokens per day")
    assert "" in lines
    assert any(line.startswith("Grant used") for line in lines)


def test_the_allowance_mark_shows_when_the_allowance_is_the_top_of_the_scale():
    lines = per_day_lines(_daily([(1000, 0, 0)]))  # allowance 100,000 far above the day
    assert lines[1][6 + BAR_WIDTH - 1] == "│"

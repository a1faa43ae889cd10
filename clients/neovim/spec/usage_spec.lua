local usage = require("deepseek_fim.usage")

describe("usage.render", function()
  local status = {
    state = "ok",
    text = "DeepSeek $8.36 ≈23M tok · 23d",
    grantTokens = 5000000,
    usedTokens = 380123,
    remainingTokens = 22568760,
    remainingAmount = "8.3588",
    daysLeft = 23,
    expiresOn = "2026-12-20",
    cost = "0.0412",
    currency = "USD",
    burnRatePerDay = "0.02",
    runOutOn = vim.NIL,
    message = vim.NIL,
    summary = {
      { "Money left", "8.3588 USD of 8.40 (99.5%), from the ledger's cost at the price table" },
      { "Tokens left", "≈22.6M at your mix of the last 7 days (0.3704 USD per 1M tokens)" },
      { "Pace", "0.02 USD/day (≈54k tokens/day): lasts until the grant expires on 2026-12-20" },
    },
    balance = {
      isAvailable = true,
      total = "8.36",
      granted = "8.36",
      toppedUp = "0",
      currency = "USD",
      checkedAt = "2026-11-27T09:55:00Z",
    },
    session = {
      requests = 12,
      cancelled = 3,
      errors = 0,
      shown = 8,
      accepted = 4,
      acceptanceRate = 0.5,
      cacheHitRatio = 0.61,
      promptHitTokens = 6100,
      promptMissTokens = 3900,
      latencyP50Ms = 420,
      latencyP95Ms = 980.4,
    },
    days = {
      { date = "2026-11-26", requests = 100, hit = 1000, miss = 200, output = 50, cost = "0.01" },
      { date = "2026-11-27", requests = 20, hit = 3000, miss = 100, output = 10, cost = "0.02" },
    },
  }

  it("shows the server's summary rows as they are, aligned on their labels", function()
    local lines = usage.render(status)
    assert.is_true(vim.tbl_contains(lines, "Budget:     DeepSeek $8.36 ≈23M tok · 23d"))
    assert.is_true(
      vim.tbl_contains(
        lines,
        "Money left   8.3588 USD of 8.40 (99.5%), from the ledger's cost at the price table"
      )
    )
    assert.is_true(
      vim.tbl_contains(
        lines,
        "Tokens left  ≈22.6M at your mix of the last 7 days (0.3704 USD per 1M tokens)"
      )
    )
    assert.is_true(
      vim.tbl_contains(
        lines,
        "Pace         0.02 USD/day (≈54k tokens/day): lasts until the grant expires on 2026-12-20"
      )
    )
    assert.is_true(
      vim.tbl_contains(
        lines,
        "Account balance (DeepSeek, 2026-11-27T09:55:00Z): 8.36 USD (granted 8.36, topped up 0)"
      )
    )
    -- nothing formatted from raw numbers: no run-out date the server did not give
    assert.is_nil(table.concat(lines, "\n"):find("runs out", 1, true))
  end)

  it("shows the session statistics", function()
    local text = table.concat(usage.render(status), "\n")
    assert.matches("requests 12, cancelled 3, errors 0, shown 8, accepted 4 (50.0%)", text, 1, true)
    assert.matches("latency p50 420 ms, p95 980 ms", text, 1, true)
    assert.matches("prompt cache hits 61.0% (6,100 of 10,000 prompt tokens)", text, 1, true)
  end)

  it("has one line of session cache hits for :DeepSeekFim status", function()
    assert.are.equal(
      "This session: 12 requests, prompt cache hits 61.0% (6,100 of 10,000 prompt tokens)",
      usage.session_line(status.session)
    )
    -- an older server without the token counts: the ratio alone
    assert.are.equal(
      "This session: 2 requests, prompt cache hits 50.0%",
      usage.session_line({ requests = 2, cacheHitRatio = 0.5 })
    )
    assert.are.equal(
      "This session: 0 requests, prompt cache hits -",
      usage.session_line({ requests = 0, cacheHitRatio = vim.NIL })
    )
    assert.is_nil(usage.session_line(nil))
  end)

  it("has one table row per day and a total row", function()
    local lines = usage.render(status)
    local rows = vim.tbl_filter(function(l)
      return l:match("^  %d%d%d%d%-") or l:match("^  total")
    end, lines)
    assert.are.equal(3, #rows)
    assert.matches("2026%-11%-26%s+100%s+1,000%s+200%s+50%s+0.01", rows[1])
    assert.matches("total%s+120%s+4,000%s+300%s+60%s+0.0412", rows[3])
  end)

  it("says so when there are no days yet and skips missing fields", function()
    local text = table.concat(usage.render({ state = "noKey" }), "\n")
    assert.matches("no requests recorded yet", text, 1, true)
    assert.matches("State:      noKey", text, 1, true)
  end)

  it("draws the daily series under the table, without trailing blanks", function()
    local with_series = vim.deepcopy(status)
    with_series.daily = {
      start = "2026-11-26",
      ["end"] = "2026-12-25",
      today = "2026-11-27",
      grantTokens = 5000000,
      allowancePerDay = 166667,
      days = {
        {
          date = "2026-11-26",
          hit = 1000,
          miss = 200,
          output = 50,
          total = 1250,
          cumulative = 1250,
        },
        {
          date = "2026-11-27",
          hit = 3000,
          miss = 100,
          output = 10,
          total = 3110,
          cumulative = 4360,
        },
      },
      forecast = vim.NIL,
    }
    local lines = usage.render(with_series)
    local text = table.concat(lines, "\n")
    local table_end = text:find("  total", 1, true)
    local chart_start = text:find("Tokens per day", 1, true)
    assert.is_truthy(table_end and chart_start and chart_start > table_end)
    assert.matches("  11%-27 █", text)
    assert.matches("Grant used   █ used so far   ┈ the grant: 5,000,000 tokens", text, 1, true)
    for _, line in ipairs(lines) do
      assert.is_nil(line:match("%s$"), "no trailing blanks: " .. line)
    end
  end)
end)

local status = require("deepseek_fim.status")

local function payload(state, text)
  return { state = state, kind = "Normal", text = text }
end

describe("status.highlight", function()
  it("has a distinct group per state", function()
    local seen = {}
    for _, state in ipairs({
      "ok",
      "low",
      "exhausted",
      "expired",
      "noKey",
      "authFailed",
      "throttled",
      "offline",
      "disabled",
      "excluded",
    }) do
      local group = status.highlight(state)
      assert.matches("^DeepSeekFimStatus", group)
      assert.is_nil(seen[group], group .. " used twice")
      seen[group] = true
    end
  end)

  it("falls back for an unknown state", function()
    assert.are.equal(status.unknown_group, status.highlight("martian"))
    assert.are.equal(status.unknown_group, status.highlight(nil))
  end)

  it("links each group to a diagnostic-like default", function()
    status.define_highlights()
    local hl = vim.api.nvim_get_hl(0, { name = "DeepSeekFimStatusExhausted" })
    assert.are.equal("DiagnosticError", hl.link)
    hl = vim.api.nvim_get_hl(0, { name = "DeepSeekFimStatusLow" })
    assert.are.equal("DiagnosticWarn", hl.link)
  end)
end)

describe("status.statusline", function()
  after_each(function()
    status.reset()
  end)

  it("is empty before the server reported", function()
    assert.are.equal("", status.statusline())
    assert.are.equal("", status.statusline({ highlight = true }))
  end)

  it("shows the server's text", function()
    local p = payload("ok", "DeepSeek $8.37 ≈67M tok · 23d")
    assert.are.equal("DeepSeek $8.37 ≈67M tok · 23d", status.statusline(nil, p))
  end)

  it("wraps the text in the state's group and escapes %", function()
    local p = payload("low", "DeepSeek 12% left")
    assert.are.equal(
      "%#DeepSeekFimStatusLow#DeepSeek 12%% left%*",
      status.statusline({ highlight = true }, p)
    )
  end)

  it("names the state when the server sent no text", function()
    assert.are.equal("DeepSeek exhausted", status.statusline(nil, { state = "exhausted" }))
  end)

  it("keeps the latest notification", function()
    status.handler(nil, payload("ok", "first"))
    status.handler(nil, payload("exhausted", "second"))
    assert.are.equal("second", status.statusline())
    assert.are.equal("exhausted", status.latest.state)
  end)

  it("ignores a notification without a payload", function()
    status.handler(nil, payload("ok", "kept"))
    status.handler(nil, nil)
    assert.are.equal("kept", status.statusline())
  end)
end)

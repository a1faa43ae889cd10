--- `:DeepSeekFim usage`: the server's `deepseekFim/status` (per-day ledger table, session
--- statistics and the chart of the `daily` series) in a scratch buffer.

local lsp = require("deepseek_fim.client")

local M = {}

---@param v any
---@return string
local function str(v)
  if v == nil or v == vim.NIL then
    return "-"
  end
  return tostring(v)
end

---@param n any
---@return string
local function int(n)
  if type(n) ~= "number" then
    return str(n)
  end
  local s = tostring(math.floor(n + 0.5))
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  return (out:gsub("^,", ""):gsub("^%-,", "-"))
end

---@param r any
---@return string
local function pct(r)
  if type(r) ~= "number" then
    return str(r)
  end
  return ("%.1f%%"):format(r * 100)
end

---@param ms any
---@return string
local function millis(ms)
  if type(ms) ~= "number" then
    return str(ms)
  end
  return ("%d ms"):format(math.floor(ms + 0.5))
end

--- The session's prompt cache hits, as `deepseekFim/status` reports them.
---@param session table the `session` object
---@return string
function M.cache_hits(session)
  local hit, miss = session.promptHitTokens, session.promptMissTokens
  local text = "prompt cache hits " .. pct(session.cacheHitRatio)
  if type(hit) == "number" and type(miss) == "number" then
    text = text .. (" (%s of %s prompt tokens)"):format(int(hit), int(hit + miss))
  end
  return text
end

--- One line for `:DeepSeekFim status`: this server session's requests and cache hits.
---@param session any the `session` object of `deepseekFim/status`
---@return string|nil
function M.session_line(session)
  if type(session) ~= "table" then
    return nil
  end
  return ("This session: %s requests, %s"):format(int(session.requests), M.cache_hits(session))
end

--- Ask the server for `deepseekFim/status` (nil if no server or no answer in time).
---@param timeout_ms? integer
---@return table|nil
function M.fetch(timeout_ms)
  local client = lsp.get(0) or lsp.all()[1]
  if not client then
    return nil
  end
  local res = lsp.request_sync(client, "deepseekFim/status", {}, timeout_ms or 5000)
  if not res or res.err or type(res.result) ~= "table" then
    return nil
  end
  return res.result
end

---@param rows string[][]
---@return string[]
local function table_lines(rows)
  local widths = {}
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row) do
      widths[i] = math.max(widths[i] or 0, vim.fn.strdisplaywidth(cell))
    end
  end
  local out = {}
  for r, row in ipairs(rows) do
    local cells = {}
    for i, cell in ipairs(row) do
      local pad = string.rep(" ", widths[i] - vim.fn.strdisplaywidth(cell))
      cells[i] = i == 1 and (cell .. pad) or (pad .. cell)
    end
    out[#out + 1] = table.concat(cells, "  ")
    if r == 1 then
      local rule = {}
      for i = 1, #row do
        rule[i] = string.rep("-", widths[i])
      end
      out[#out + 1] = table.concat(rule, "  ")
    end
  end
  return out
end

--- The server's summary rows ([label, text]: money left, tokens left at your mix, used, pace,
--- ...), aligned on their labels. The server writes the figures; nothing is formatted here.
---@param summary any
---@return string[]
local function summary_lines(summary)
  if type(summary) ~= "table" or #summary == 0 then
    return {}
  end
  local width = 0
  for _, row in ipairs(summary) do
    width = math.max(width, vim.fn.strdisplaywidth(str(row[1])))
  end
  local out = {}
  for _, row in ipairs(summary) do
    local label = str(row[1])
    out[#out + 1] = ("%s%s  %s"):format(
      label,
      string.rep(" ", width - vim.fn.strdisplaywidth(label)),
      str(row[2])
    )
  end
  return out
end

--- Lines of the usage report for a `deepseekFim/status` result.
---@param status table
---@return string[]
function M.render(status)
  local lines = { "DeepSeek FIM usage", "" }
  lines[#lines + 1] = ("State:      %s"):format(str(status.state))
  lines[#lines + 1] = ("Budget:     %s"):format(str(status.text))
  if status.message and status.message ~= vim.NIL then
    lines[#lines + 1] = ("Action:     %s"):format(str(status.message))
  end
  local summary = summary_lines(status.summary)
  if #summary > 0 then
    lines[#lines + 1] = ""
    vim.list_extend(lines, summary)
  end
  local balance = status.balance
  if type(balance) == "table" then
    lines[#lines + 1] = ("Account balance (DeepSeek, %s): %s %s (granted %s, topped up %s)"):format(
      str(balance.checkedAt),
      str(balance.total),
      str(balance.currency),
      str(balance.granted),
      str(balance.toppedUp)
    )
  end
  local session = status.session
  if type(session) == "table" then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "This session"
    lines[#lines + 1] = ("  requests %s, cancelled %s, errors %s, shown %s, accepted %s (%s)"):format(
      int(session.requests),
      int(session.cancelled),
      int(session.errors),
      int(session.shown),
      int(session.accepted),
      pct(session.acceptanceRate)
    )
    lines[#lines + 1] = ("  %s, latency p50 %s, p95 %s"):format(
      M.cache_hits(session),
      millis(session.latencyP50Ms),
      millis(session.latencyP95Ms)
    )
  end
  local days = status.days
  lines[#lines + 1] = ""
  lines[#lines + 1] = "Per day"
  if type(days) ~= "table" or #days == 0 then
    lines[#lines + 1] = "  (no requests recorded yet)"
    return lines
  end
  local rows = { { "date", "requests", "cache hit", "cache miss", "output", "cost" } }
  local total = { requests = 0, hit = 0, miss = 0, output = 0 }
  for _, day in ipairs(days) do
    rows[#rows + 1] = {
      str(day.date),
      int(day.requests),
      int(day.hit),
      int(day.miss),
      int(day.output),
      str(day.cost),
    }
    for k in pairs(total) do
      total[k] = total[k] + (tonumber(day[k]) or 0)
    end
  end
  rows[#rows + 1] = {
    "total",
    int(total.requests),
    int(total.hit),
    int(total.miss),
    int(total.output),
    str(status.cost),
  }
  for _, l in ipairs(table_lines(rows)) do
    lines[#lines + 1] = "  " .. l
  end
  local chart = require("deepseek_fim.chart").render(status.daily)
  if #chart > 0 then
    lines[#lines + 1] = ""
    for _, l in ipairs(chart) do
      lines[#lines + 1] = l == "" and "" or ("  " .. l):gsub("%s+$", "")
    end
  end
  return lines
end

--- `render` with multi-line values (the tooltip) split into buffer lines.
---@param status table
---@return string[]
function M.buffer_lines(status)
  local out = {}
  for _, line in ipairs(M.render(status)) do
    vim.list_extend(out, vim.split(line, "\n", { plain = true }))
  end
  return out
end

--- Show lines in a scratch buffer in a split (`q` closes it).
---@param lines string[]
---@return integer bufnr
function M.show(lines)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].filetype = "deepseekfim"
  vim.api.nvim_buf_set_name(buf, "deepseek-fim://usage/" .. buf)
  vim.cmd("botright split")
  vim.api.nvim_win_set_buf(0, buf)
  vim.keymap.set("n", "q", "<Cmd>close<CR>", { buffer = buf, nowait = true })
  return buf
end

--- Ask the server for its status and show the report.
---@param timeout_ms? integer
---@return integer|nil bufnr
function M.open(timeout_ms)
  local client = lsp.get(0) or lsp.all()[1]
  if not client then
    vim.notify("deepseek-fim: the language server is not running", vim.log.levels.WARN)
    return nil
  end
  local res = lsp.request_sync(client, "deepseekFim/status", {}, timeout_ms or 5000)
  if not res or res.err then
    local msg = res and res.err and res.err.message or "no answer"
    vim.notify("deepseek-fim: deepseekFim/status failed: " .. msg, vim.log.levels.ERROR)
    return nil
  end
  return M.show(M.buffer_lines(res.result or {}))
end

return M

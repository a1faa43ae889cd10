--- The budget as the server reports it (`deepseekFim/budget`), for statuslines.
---
--- The server formats the text; this module keeps the latest payload, picks a highlight group per
--- state and tells statuslines to redraw.

local M = {}

---@class deepseek_fim.Budget
---@field state string ok|low|exhausted|expired|noKey|authFailed|throttled|offline|disabled|excluded
---@field kind? string Normal|Warning|Error|Inactive
---@field text? string
---@field tooltip? string
---@field message? string|vim.NIL

--- Highlight group per state, and the group each links to by default.
---@type table<string, {[1]: string, [2]: string}>
M.groups = {
  ok = { "DeepSeekFimStatusOk", "DiagnosticOk" },
  low = { "DeepSeekFimStatusLow", "DiagnosticWarn" },
  exhausted = { "DeepSeekFimStatusExhausted", "DiagnosticError" },
  expired = { "DeepSeekFimStatusExpired", "DiagnosticError" },
  noKey = { "DeepSeekFimStatusNoKey", "DiagnosticWarn" },
  authFailed = { "DeepSeekFimStatusAuthFailed", "DiagnosticError" },
  throttled = { "DeepSeekFimStatusThrottled", "DiagnosticWarn" },
  offline = { "DeepSeekFimStatusOffline", "DiagnosticWarn" },
  disabled = { "DeepSeekFimStatusDisabled", "Comment" },
  excluded = { "DeepSeekFimStatusExcluded", "Comment" },
}

M.unknown_group = "DeepSeekFimStatusUnknown"

---@type deepseek_fim.Budget|nil
M.latest = nil

--- Define the highlight groups (as `default` links, so colorschemes and users win).
function M.define_highlights()
  for _, pair in pairs(M.groups) do
    vim.api.nvim_set_hl(0, pair[1], { link = pair[2], default = true })
  end
  vim.api.nvim_set_hl(0, M.unknown_group, { link = "StatusLine", default = true })
  -- Not a plain link to Comment: some colorschemes give Comment no terminal colour, and ghost text
  -- must never look like real text.
  local comment = vim.api.nvim_get_hl(0, { name = "Comment", link = false })
  vim.api.nvim_set_hl(0, "DeepSeekFimGhost", {
    default = true,
    fg = comment.fg or 0x808080,
    ctermfg = comment.ctermfg or 8,
    italic = true,
  })
end

---@param state string|nil
---@return string
function M.highlight(state)
  local pair = state and M.groups[state]
  return pair and pair[1] or M.unknown_group
end

--- The text for a payload: the server's own, or a short fallback naming the state.
---@param payload deepseek_fim.Budget|nil
---@return string
function M.text(payload)
  if not payload then
    return ""
  end
  if type(payload.text) == "string" and payload.text ~= "" then
    return payload.text
  end
  return "DeepSeek " .. tostring(payload.state or "?")
end

--- Escape text for 'statusline' (a literal `%` is `%%`).
---@param s string
---@return string
function M.escape(s)
  return (s:gsub("%%", "%%%%"))
end

---@class deepseek_fim.StatuslineOpts
---@field highlight? boolean Wrap the text in its state's highlight group (`%#Group#...%*`).

--- Budget text for any statusline; "" until the server has reported.
---@param opts? deepseek_fim.StatuslineOpts
---@param payload? deepseek_fim.Budget defaults to the latest one received
---@return string
function M.statusline(opts, payload)
  payload = payload or M.latest
  local s = M.text(payload)
  if s == "" or not (opts and opts.highlight) then
    return s
  end
  return ("%%#%s#%s%%*"):format(M.highlight(payload and payload.state), M.escape(s))
end

--- Store a payload from the server and let statuslines redraw.
---@param payload deepseek_fim.Budget|nil
function M.update(payload)
  if type(payload) ~= "table" then
    return
  end
  M.latest = payload
  vim.schedule(function()
    vim.api.nvim_exec_autocmds("User", { pattern = "DeepSeekFimBudget", modeline = false })
    pcall(vim.cmd.redrawstatus, { bang = true })
  end)
end

--- `lsp.Handler` for the `deepseekFim/budget` notification.
---@param _ lsp.ResponseError|nil
---@param result deepseek_fim.Budget
function M.handler(_, result)
  M.update(result)
end

function M.reset()
  M.latest = nil
end

return M

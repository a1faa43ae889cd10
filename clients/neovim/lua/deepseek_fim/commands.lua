--- `:DeepSeekFim {subcommand}`.

local M = {}

---@type table<string, fun()>
M.subcommands = {
  enable = function()
    require("deepseek_fim").enable()
  end,
  disable = function()
    require("deepseek_fim").disable()
  end,
  toggle = function()
    require("deepseek_fim").toggle()
  end,
  status = function()
    local status = require("deepseek_fim.status")
    local p = status.latest
    if not p then
      vim.notify("deepseek-fim: no budget reported yet (is the server running?)")
      return
    end
    local parts = { status.text(p) }
    for _, field in ipairs({ "tooltip", "message" }) do
      if type(p[field]) == "string" and p[field] ~= "" then
        parts[#parts + 1] = p[field]
      end
    end
    local usage = require("deepseek_fim.usage")
    local full = usage.fetch(1000)
    local session = full and usage.session_line(full.session)
    if session then
      parts[#parts + 1] = session
    end
    local enabled = require("deepseek_fim").enabled and "enabled" or "disabled"
    parts[#parts + 1] = "suggestions " .. enabled
    vim.notify(table.concat(parts, "\n"))
  end,
  usage = function()
    require("deepseek_fim.usage").open()
  end,
  restart = function()
    require("deepseek_fim").restart()
  end,
  install = function()
    require("deepseek_fim.install").install()
  end,
}

---@param args string[]
function M.run(args)
  local name = args[1] or "status"
  local fn = M.subcommands[name]
  if not fn then
    vim.notify("DeepSeekFim: unknown subcommand " .. name, vim.log.levels.ERROR)
    return
  end
  fn()
end

---@param arglead string
---@return string[]
function M.complete(arglead)
  local names = vim.tbl_keys(M.subcommands)
  table.sort(names)
  return vim.tbl_filter(function(n)
    return n:sub(1, #arglead) == arglead
  end, names)
end

return M

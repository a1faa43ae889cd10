--- An nvim-cmp source over the server's `textDocument/completion`.
---
--- Follows nvim-cmp's source API as of its 2025 `main` branch (`new`, `is_available`,
--- `get_debug_name`, `get_trigger_characters`, `complete(params, callback)`, `execute`):
---
---   require("cmp").register_source("deepseek_fim", require("deepseek_fim.cmp").new())
---   -- then add { name = "deepseek_fim" } to cmp's sources

local lsp = require("deepseek_fim.client")

local M = {}

---@class deepseek_fim.CmpSource
local Source = {}
Source.__index = Source

---@return deepseek_fim.CmpSource
function M.new()
  return setmetatable({}, Source)
end

--- Register with nvim-cmp under the name `deepseek_fim`.
function M.register()
  require("cmp").register_source("deepseek_fim", M.new())
end

---@return string
function Source:get_debug_name()
  return "deepseek_fim"
end

---@return boolean
function Source:is_available()
  return lsp.get(vim.api.nvim_get_current_buf()) ~= nil
end

---@return string[]
function Source:get_trigger_characters()
  return {}
end

--- Turn a `textDocument/completion` result into what cmp's callback takes.
---@param result lsp.CompletionList|lsp.CompletionItem[]|nil
---@return {items: lsp.CompletionItem[], isIncomplete: boolean}
function M.to_response(result)
  if not result then
    return { items = {}, isIncomplete = false }
  end
  if result.items then
    return { items = result.items, isIncomplete = result.isIncomplete == true }
  end
  return { items = result, isIncomplete = false }
end

---@param params {context: {bufnr: integer}, completion_context?: lsp.CompletionContext}
---@param callback fun(response: {items: lsp.CompletionItem[], isIncomplete: boolean})
function Source:complete(params, callback)
  local bufnr = params.context.bufnr
  local client = lsp.get(bufnr)
  if not client then
    callback(M.to_response(nil))
    return
  end
  local req = vim.lsp.util.make_position_params(0, client.offset_encoding)
  ---@diagnostic disable-next-line: inject-field
  req.context = params.completion_context or { triggerKind = 1 }
  lsp.request(client, "textDocument/completion", req, function(err, result)
    callback(M.to_response(not err and result or nil))
  end, bufnr)
end

--- After the item is inserted: run its command, which records the acceptance.
---@param item lsp.CompletionItem
---@param callback fun(item: lsp.CompletionItem)
function Source:execute(item, callback)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = lsp.get(bufnr)
  if client and item.command then
    lsp.exec_cmd(client, item.command, bufnr)
  end
  callback(item)
end

return M

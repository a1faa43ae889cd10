--- A blink.cmp source over the server's `textDocument/completion`.
---
--- Follows blink.cmp's source API of v1.x (`new(opts)`, `enabled`, `get_trigger_characters`,
--- `get_completions(ctx, callback)` returning a cancel function, `execute(ctx, item, callback,
--- default_implementation)`):
---
---   sources = { default = { "lsp", "deepseek_fim" },
---               providers = { deepseek_fim = { name = "DeepSeek", module = "deepseek_fim.blink" } } }

local lsp = require("deepseek_fim.client")

local M = {}

---@class deepseek_fim.BlinkSource
---@field opts table
local Source = {}
Source.__index = Source

---@param opts? table
---@return deepseek_fim.BlinkSource
function M.new(opts)
  return setmetatable({ opts = opts or {} }, Source)
end

---@return boolean
function Source:enabled()
  return lsp.get(vim.api.nvim_get_current_buf()) ~= nil
end

---@return string[]
function Source:get_trigger_characters()
  return {}
end

local TEXT_KIND = 1

--- Turn a `textDocument/completion` result into blink's response.
---@param result lsp.CompletionList|lsp.CompletionItem[]|nil
---@return {items: lsp.CompletionItem[], is_incomplete_forward: boolean, is_incomplete_backward: boolean}
function M.to_response(result)
  local items = {}
  if result then
    items = result.items or result
  end
  for _, item in ipairs(items) do
    item.kind = item.kind or TEXT_KIND
  end
  -- Suggestions depend on the exact cursor position: ask again as the user types.
  return { items = items, is_incomplete_forward = true, is_incomplete_backward = true }
end

---@param ctx {bufnr: integer, trigger?: {kind?: string, character?: string}}
---@param callback fun(response: table)
---@return fun()|nil cancel
function Source:get_completions(ctx, callback)
  local client = lsp.get(ctx.bufnr)
  if not client then
    callback(M.to_response(nil))
    return nil
  end
  local req = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local trigger = ctx.trigger or {}
  ---@diagnostic disable-next-line: inject-field
  req.context = trigger.kind == "trigger_character"
      and { triggerKind = 2, triggerCharacter = trigger.character }
    or { triggerKind = 1 }
  local id = lsp.request(client, "textDocument/completion", req, function(err, result)
    callback(M.to_response(not err and result or nil))
  end, ctx.bufnr)
  return function()
    if id then
      lsp.cancel(client, id)
    end
  end
end

--- Insert the item (blink's default) and run its command, which records the acceptance.
---@param ctx {bufnr: integer}
---@param item lsp.CompletionItem
---@param callback fun()
---@param default_implementation? fun()
function Source:execute(ctx, item, callback, default_implementation)
  if default_implementation then
    default_implementation()
  end
  local client = lsp.get(ctx.bufnr)
  if client and item.command then
    lsp.exec_cmd(client, item.command, ctx.bufnr)
  end
  callback()
end

return M

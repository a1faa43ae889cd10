--- Ghost text through Neovim's own `vim.lsp.inline_completion` (0.12+).
---
--- Neovim draws, requests and accepts whole items (running the item's command itself); this module
--- adds accepting a word or a line, which the built-in does not offer, on top of its `get()`.

local api = vim.api
local lsp = require("deepseek_fim.client")
local text = require("deepseek_fim.text")

local M = {}

--- Characters accepted so far per completion id, for partial accepts.
---@type table<any, integer>
local accepted = {}

---@return boolean
function M.available()
  return vim.lsp.inline_completion ~= nil
end

--- Cancel our client's inline completion requests still in flight for a buffer: the built-in
--- only debounces the next request, and the outdated one would run to its end.
---@param bufnr integer
function M.cancel_pending(bufnr)
  for _, client in ipairs(lsp.all()) do
    for id, req in pairs(client.requests or {}) do
      if
        req.type == "pending"
        and req.bufnr == bufnr
        and req.method == "textDocument/inlineCompletion"
      then
        lsp.cancel(client, id)
      end
    end
  end
end

---@param bufnr integer
function M.attach(bufnr)
  vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
  local group = api.nvim_create_augroup("deepseek_fim.builtin." .. bufnr, { clear = true })
  api.nvim_create_autocmd({ "TextChangedI", "TextChangedP" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.cancel_pending(bufnr)
    end,
  })
end

---@param bufnr integer
function M.detach(bufnr)
  vim.lsp.inline_completion.enable(false, { bufnr = bufnr })
  pcall(api.nvim_del_augroup_by_name, "deepseek_fim.builtin." .. bufnr)
end

---@return integer|nil
local function namespace()
  return api.nvim_get_namespaces()["nvim.lsp.inline_completion"]
end

---@param bufnr? integer
---@return boolean
function M.visible(bufnr)
  local ns = namespace()
  if not ns then
    return false
  end
  return #api.nvim_buf_get_extmarks(bufnr or 0, ns, 0, -1, { limit = 1 }) > 0
end

--- Insert part of the built-in's current item at the cursor and record the partial accept.
---@param item vim.lsp.inline_completion.Item
---@param kind "word"|"line"
local function accept_part(item, kind)
  local bufnr = api.nvim_get_current_buf()
  local insert = item.insert_text
  if type(insert) == "table" then
    insert = insert.value
  end
  local pos = api.nvim_win_get_cursor(0)
  local row, col = pos[1] - 1, pos[2]
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local rest = insert
  local range = item.range
  if range and range.start.row == row and range.start.col <= col then
    rest = text.strip_range_prefix(insert, line:sub(range.start.col + 1, col)) or insert
  end
  local part = kind == "word" and text.next_word(rest) or text.next_line(rest)
  if part == "" then
    part = rest
  end
  api.nvim_buf_set_text(bufnr, row, col, row, col, text.lines(part))
  local erow, ecol = text.end_position(row, col, part)
  api.nvim_win_set_cursor(0, { erow + 1, ecol })
  local command = item.command
  local client = vim.lsp.get_client_by_id(item.client_id)
  if not command or not client then
    return
  end
  local id = (command.arguments or {})[1]
  local n
  if part ~= rest then
    n = (accepted[id] or 0) + text.char_count(part)
    accepted[id] = n
  end
  lsp.exec_cmd(client, text.accept_command(command, n) --[[@as lsp.Command]], bufnr)
end

---@param kind "all"|"word"|"line"
---@return boolean
function M.accept(kind)
  if kind == "all" then
    return vim.lsp.inline_completion.get()
  end
  return vim.lsp.inline_completion.get({
    on_accept = function(item)
      accept_part(item, kind)
    end,
  })
end

---@return boolean
function M.dismiss()
  -- `get` with a handler that inserts nothing hides the item and cancels pending requests.
  return vim.lsp.inline_completion.get({ on_accept = function() end })
end

---@param step integer
---@return boolean
function M.cycle(step)
  vim.lsp.inline_completion.select({ count = step })
  return true
end

--- The text shown at the cursor (what the built-in drew), for tests.
---@param bufnr? integer
---@return string|nil
function M.current_text(bufnr)
  local ns = namespace()
  if not ns then
    return nil
  end
  local marks = api.nvim_buf_get_extmarks(bufnr or 0, ns, 0, -1, { details = true })
  local mark = marks[1]
  if not mark then
    return nil
  end
  local parts = {}
  for _, chunk in ipairs(mark[4].virt_text or {}) do
    parts[#parts + 1] = chunk[1]
  end
  local out = { table.concat(parts) }
  for _, vl in ipairs(mark[4].virt_lines or {}) do
    local l = {}
    for _, chunk in ipairs(vl) do
      l[#l + 1] = chunk[1]
    end
    out[#out + 1] = table.concat(l)
  end
  return table.concat(out, "\n")
end

return M

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

local TRIGGER_AUTOMATIC = 2

--- The built-in's state for a buffer. Neovim keeps it private (`vim.lsp._capability`), so it is
--- used only when it still has the shape this module knows; nil otherwise.
---@param bufnr integer
---@return table|nil
local function completor(bufnr)
  local ok, capability = pcall(require, "vim.lsp._capability")
  local class = ok and type(capability) == "table" and (capability.all or {}).inline_completion
  local active = type(class) == "table" and type(class.active) == "table" and class.active[bufnr]
  if type(active) ~= "table" then
    return nil
  end
  if type(active.request) ~= "function" or type(active.reset_timer) ~= "function" then
    return nil
  end
  return active
end

--- Ask for the cursor now instead of after the built-in's fixed 200 ms: the server already
--- waits (briefly where typists pause, longer inside a word), and two delays would add up.
--- False when the built-in's state is not reachable (it then keeps its own timer).
---@param bufnr integer
---@return boolean
function M.request_now(bufnr)
  local state = completor(bufnr)
  if
    not state
    or bufnr ~= api.nvim_get_current_buf()
    or not api.nvim_get_mode().mode:match("^i")
  then
    return false
  end
  state:reset_timer()
  state:request(TRIGGER_AUTOMATIC)
  return true
end

--- Whether the built-in may ask for this buffer now: suggestions on, and the buffer current.
---@param bufnr integer
---@return boolean
local function wanted(bufnr)
  local plugin = require("deepseek_fim")
  return plugin.enabled ~= false
    and require("deepseek_fim.config").get().ghost.enabled
    and bufnr == api.nvim_get_current_buf()
end

--- Enable the built-in in `bufnr` only while it is the current buffer. Its autocmds are not
--- buffer-local (Neovim 0.12): with N buffers enabled, every cursor move in insert mode asks
--- N times, N-1 of them for another buffer at this buffer's cursor, each one billed.
---@param bufnr integer
function M.refresh(bufnr)
  if api.nvim_buf_is_valid(bufnr) then
    vim.lsp.inline_completion.enable(wanted(bufnr), { bufnr = bufnr })
  end
end

---@param bufnr integer
function M.attach(bufnr)
  M.refresh(bufnr)
  local group = api.nvim_create_augroup("deepseek_fim.builtin." .. bufnr, { clear = true })
  api.nvim_create_autocmd({ "BufEnter", "BufLeave" }, {
    group = group,
    buffer = bufnr,
    callback = function(args)
      if args.event == "BufLeave" then
        vim.lsp.inline_completion.enable(false, { bufnr = bufnr })
      else
        M.refresh(bufnr)
      end
    end,
  })
  api.nvim_create_autocmd({ "TextChangedI", "TextChangedP" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.cancel_pending(bufnr)
      -- After the built-in's own CursorMovedI handler has started its timer, whichever of the
      -- two events Neovim sends first.
      vim.schedule(function()
        M.request_now(bufnr)
      end)
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

--- What of the item is left to insert at the cursor, and how many bytes after the cursor its
--- range replaces. The item's range is where the request was made: characters typed since then
--- sit between its start and the cursor (the built-in hides them from the ghost text), and the
--- closers the range covers have moved right by as many bytes. nil when the item cannot apply.
---@param item vim.lsp.inline_completion.Item
---@param row integer
---@param col integer
---@param line string
---@return string|nil rest, integer replaced
local function rest_at(item, row, col, line)
  local insert = item.insert_text
  if type(insert) == "table" then
    insert = insert.value
  end
  if type(insert) ~= "string" then
    return nil, 0
  end
  local range = item.range
  if not range then
    return insert, 0
  end
  if range.start.row ~= row or range.end_.row ~= row or range.start.col > col then
    return nil, 0
  end
  local rest = text.strip_range_prefix(insert, line:sub(range.start.col + 1, col))
  return rest, math.max(0, range.end_.col - range.start.col)
end

--- Insert the rest of the item at the cursor, replacing the closers its range covers.
---@param item vim.lsp.inline_completion.Item
---@return boolean
local function accept_all(item)
  local bufnr = api.nvim_get_current_buf()
  local pos = api.nvim_win_get_cursor(0)
  local row, col = pos[1] - 1, pos[2]
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local rest, replaced = rest_at(item, row, col, line)
  if not rest then
    return false
  end
  local stop = math.min(#line, col + replaced)
  api.nvim_buf_set_text(bufnr, row, col, row, stop, text.lines(rest))
  local erow, ecol = text.end_position(row, col, rest)
  api.nvim_win_set_cursor(0, { erow + 1, ecol })
  local client = vim.lsp.get_client_by_id(item.client_id)
  if item.command and client then
    lsp.exec_cmd(client, item.command, bufnr)
  end
  return true
end

--- Insert part of the built-in's current item at the cursor and record the partial accept.
---@param item vim.lsp.inline_completion.Item
---@param kind "word"|"line"
local function accept_part(item, kind)
  local bufnr = api.nvim_get_current_buf()
  local pos = api.nvim_win_get_cursor(0)
  local row, col = pos[1] - 1, pos[2]
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local rest = rest_at(item, row, col, line)
  if not rest then
    return
  end
  local part = kind == "word" and text.next_word(rest) or text.next_line(rest)
  if part == "" or part == rest then
    accept_all(item) -- the last part also replaces the closers the range covers
    return
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
  local n = (accepted[id] or 0) + text.char_count(part)
  accepted[id] = n
  lsp.exec_cmd(client, text.accept_command(command, n) --[[@as lsp.Command]], bufnr)
end

---@param kind "all"|"word"|"line"
---@return boolean
function M.accept(kind)
  if kind == "all" then
    -- Not the built-in's own accept: it writes the item at its range, which after typing into
    -- the suggestion no longer matches the buffer (the rest would land after what was typed).
    return vim.lsp.inline_completion.get({ on_accept = accept_all })
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

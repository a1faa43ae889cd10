--- Our own ghost text (Neovim 0.10/0.11): `textDocument/inlineCompletion` after a pause, drawn
--- with extmarks at the cursor.
---
--- Typing on cancels the request in flight (`$/cancelRequest`); typing characters the suggestion
--- already contains keeps it on screen without a new request; moving the cursor or leaving insert
--- mode clears it. Accepting runs the item's `deepseekFim.accept` command so the server records it.

local api = vim.api
local config = require("deepseek_fim.config")
local lsp = require("deepseek_fim.client")
local text = require("deepseek_fim.text")

local M = {}

M.ns = api.nvim_create_namespace("deepseek_fim.ghost")

local INLINE_COMPLETION = "textDocument/inlineCompletion"
local TRIGGER_AUTOMATIC = 2

---@class deepseek_fim.Suggestion
---@field client_id integer
---@field items lsp.InlineCompletionItem[]
---@field texts string[] Each item's text to insert at the anchor.
---@field index integer The item shown.
---@field row integer 0-based row of the anchor.
---@field prefix string The anchor line's text before the anchor.
---@field text string What the shown item inserts at the anchor.
---@field replaces string[] Each item's text after the anchor that it replaces (closers).
---@field replace string What the shown item replaces after the cursor once accepted whole.
---@field accepted integer Characters accepted so far by partial accepts.

---@class deepseek_fim.GhostBuffer
---@field client_id integer
---@field augroup integer
---@field tick integer Last changedtick seen by the event handler.
---@field timer uv.uv_timer_t|nil Pending debounced request.
---@field request_id integer|nil Request in flight.
---@field pending_pos integer[]|nil Cursor {row, col} the pending/in-flight request is for.
---@field suggestion deepseek_fim.Suggestion|nil

---@type table<integer, deepseek_fim.GhostBuffer>
local buffers = {}

M.enabled = true

---@return integer row 0-based, integer col byte, string line
local function cursor()
  local pos = api.nvim_win_get_cursor(0)
  local row, col = pos[1] - 1, pos[2]
  local line = api.nvim_buf_get_lines(0, row, row + 1, false)[1] or ""
  return row, col, line
end

---@param line string
---@param character integer
---@param encoding string
---@return integer
local function byte_col(line, character, encoding)
  if vim.fn.has("nvim-0.11") == 1 then
    return vim.str_byteindex(line, encoding, character, false)
  end
  if encoding == "utf-8" then
    return math.min(character, #line)
  end
  ---@diagnostic disable-next-line: param-type-mismatch, redundant-parameter
  local ok, idx = pcall(vim.str_byteindex, line, character, encoding == "utf-16")
  return ok and idx or #line
end

--- The text an item inserts at (row, col) and the text after (row, col) its range replaces
--- (auto-closed closers the item already contains), or nil when it cannot be shown there.
---@param item lsp.InlineCompletionItem
---@param row integer
---@param col integer
---@param line string
---@param encoding string
---@return string|nil insert, string replaced
local function item_text(item, row, col, line, encoding)
  local insert = item.insertText
  if type(insert) == "table" then
    insert = insert.value
  end
  if type(insert) ~= "string" then
    return nil, ""
  end
  local range = item.range
  if not range then
    return insert, ""
  end
  if range.start.line ~= row or range["end"].line ~= row then
    return nil, ""
  end
  local start = byte_col(line, range.start.character, encoding)
  local stop = byte_col(line, range["end"].character, encoding)
  if start > col or stop < col then
    return nil, ""
  end
  return text.strip_range_prefix(insert, line:sub(start + 1, col)), line:sub(col + 1, stop)
end

---@param st deepseek_fim.GhostBuffer
local function stop_timer(st)
  if st.timer then
    st.timer:stop()
    st.timer:close()
    st.timer = nil
  end
end

---@param st deepseek_fim.GhostBuffer
local function cancel_inflight(st)
  stop_timer(st)
  local id = st.request_id
  st.request_id = nil
  st.pending_pos = nil
  if id then
    local client = vim.lsp.get_client_by_id(st.client_id)
    if client then
      lsp.cancel(client, id)
    end
  end
end

---@param bufnr integer
local function undraw(bufnr)
  if api.nvim_buf_is_valid(bufnr) then
    api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
end

---@param bufnr integer
---@param row integer
---@param col integer
---@param rest string
local function draw(bufnr, row, col, rest)
  local hl = config.get().ghost.hl_group
  local tab = string.rep(" ", vim.bo[bufnr].tabstop)
  local lines = text.lines(rest)
  ---@type vim.api.keyset.set_extmark
  local opts = {
    id = 1,
    virt_text = { { (lines[1]:gsub("\t", tab)), hl } },
    virt_text_pos = "inline",
    hl_mode = "combine",
    priority = 200,
  }
  if #lines > 1 then
    local virt_lines = {}
    for i = 2, #lines do
      virt_lines[#virt_lines + 1] = { { (lines[i]:gsub("\t", tab)), hl } }
    end
    opts.virt_lines = virt_lines
  end
  api.nvim_buf_set_extmark(bufnr, M.ns, row, col, opts)
end

--- What is left of the shown suggestion at the cursor, or nil.
---@param st deepseek_fim.GhostBuffer
---@return string|nil rest, integer row, integer col
local function rest_at_cursor(st)
  local row, col, line = cursor()
  local sug = st.suggestion
  if not sug or row ~= sug.row then
    return nil, row, col
  end
  local rest = text.remaining(sug.text, sug.prefix, line:sub(1, col))
  if rest == "" then
    return nil, row, col
  end
  return rest, row, col
end

--- Hide the suggestion of a buffer (it is forgotten, not only hidden).
---@param bufnr? integer
function M.clear(bufnr)
  bufnr = bufnr or api.nvim_get_current_buf()
  local st = buffers[bufnr]
  if st then
    st.suggestion = nil
  end
  undraw(bufnr)
end

--- Redraw the suggestion for the cursor; false (and cleared) when it no longer applies.
---@param bufnr integer
---@return boolean
function M.refresh(bufnr)
  local st = buffers[bufnr]
  if not st or not st.suggestion then
    undraw(bufnr)
    return false
  end
  local rest, row, col = rest_at_cursor(st)
  if not rest then
    M.clear(bufnr)
    return false
  end
  draw(bufnr, row, col, rest)
  return true
end

---@param bufnr integer
function M.request(bufnr)
  local st = buffers[bufnr]
  if not st or not M.enabled or bufnr ~= api.nvim_get_current_buf() then
    return
  end
  local client = vim.lsp.get_client_by_id(st.client_id)
  if not client then
    return
  end
  cancel_inflight(st)
  local row, col, line = cursor()
  local encoding = client.offset_encoding
  local params = vim.lsp.util.make_position_params(0, encoding)
  ---@diagnostic disable-next-line: inject-field
  params.context = { triggerKind = TRIGGER_AUTOMATIC }
  local id ---@type integer|nil
  id = lsp.request(client, INLINE_COMPLETION, params, function(err, result)
    if st.request_id ~= id then
      return -- superseded or cancelled
    end
    st.request_id = nil
    st.pending_pos = nil
    if err or not result or not api.nvim_buf_is_valid(bufnr) then
      return
    end
    if api.nvim_get_current_buf() ~= bufnr or not api.nvim_get_mode().mode:match("^i") then
      return
    end
    local items = result.items or result
    local kept, texts, replaces = {}, {}, {}
    for _, item in ipairs(items) do
      local t, replaced = item_text(item, row, col, line, encoding)
      if t and t ~= "" then
        kept[#kept + 1] = item
        texts[#texts + 1] = t
        replaces[#replaces + 1] = replaced
      end
    end
    if #kept == 0 then
      M.clear(bufnr)
      return
    end
    st.suggestion = {
      client_id = client.id,
      items = kept,
      texts = texts,
      replaces = replaces,
      index = 1,
      row = row,
      prefix = line:sub(1, col),
      text = texts[1],
      replace = replaces[1],
      accepted = 0,
    }
    M.refresh(bufnr)
  end, bufnr)
  st.request_id = id
  st.pending_pos = { row, col }
end

---@param bufnr integer
local function schedule_request(bufnr)
  local st = buffers[bufnr]
  if not st or not M.enabled then
    return
  end
  cancel_inflight(st)
  local row, col = cursor()
  st.pending_pos = { row, col }
  local delay = config.get().ghost.delay_ms
  local timer = assert(vim.uv.new_timer())
  st.timer = timer
  timer:start(
    delay,
    0,
    vim.schedule_wrap(function()
      if st.timer ~= timer then
        return
      end
      stop_timer(st)
      M.request(bufnr)
    end)
  )
end

---@param bufnr integer
local function on_event(bufnr)
  local st = buffers[bufnr]
  if not st then
    return
  end
  local tick = api.nvim_buf_get_changedtick(bufnr)
  local typed = tick ~= st.tick
  st.tick = tick
  if M.refresh(bufnr) then
    return -- typing into the suggestion: keep it, no new request
  end
  local row, col = cursor()
  local pos = st.pending_pos
  if typed or not pos or pos[1] ~= row or pos[2] ~= col then
    -- Text changed or the cursor moved: the request in flight is outdated; ask for here after a
    -- pause (the server answers repeats from its cache without calling the API).
    schedule_request(bufnr)
  end
end

--- Start drawing ghost text in a buffer for a client.
---@param bufnr integer
---@param client_id integer
function M.attach(bufnr, client_id)
  if buffers[bufnr] then
    buffers[bufnr].client_id = client_id
    return
  end
  local group = api.nvim_create_augroup("deepseek_fim.ghost." .. bufnr, { clear = true })
  local st = {
    client_id = client_id,
    augroup = group,
    tick = api.nvim_buf_get_changedtick(bufnr),
  }
  buffers[bufnr] = st
  api.nvim_create_autocmd({ "TextChangedI", "TextChangedP", "CursorMovedI" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      on_event(bufnr)
    end,
  })
  api.nvim_create_autocmd("InsertEnter", {
    group = group,
    buffer = bufnr,
    callback = function()
      st.tick = api.nvim_buf_get_changedtick(bufnr)
      schedule_request(bufnr)
    end,
  })
  api.nvim_create_autocmd({ "InsertLeave", "BufLeave" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      cancel_inflight(st)
      M.clear(bufnr)
    end,
  })
  api.nvim_create_autocmd("BufUnload", {
    group = group,
    buffer = bufnr,
    callback = function()
      M.detach(bufnr)
    end,
  })
end

---@param bufnr integer
function M.detach(bufnr)
  local st = buffers[bufnr]
  if not st then
    return
  end
  cancel_inflight(st)
  M.clear(bufnr)
  pcall(api.nvim_del_augroup_by_id, st.augroup)
  buffers[bufnr] = nil
end

---@param bufnr? integer
---@return boolean
function M.visible(bufnr)
  bufnr = bufnr or api.nvim_get_current_buf()
  local st = buffers[bufnr]
  return st ~= nil and st.suggestion ~= nil and rest_at_cursor(st) ~= nil
end

--- The suggestion text still to be inserted at the cursor (for tests and statuslines).
---@param bufnr? integer
---@return string|nil
function M.current_text(bufnr)
  local st = buffers[bufnr or api.nvim_get_current_buf()]
  return st and (rest_at_cursor(st))
end

---@param kind "all"|"word"|"line"
---@return boolean accepted
function M.accept(kind)
  local bufnr = api.nvim_get_current_buf()
  local st = buffers[bufnr]
  if not st then
    return false
  end
  local rest, row, col = rest_at_cursor(st)
  local sug = st.suggestion
  if not rest or not sug then
    return false
  end
  local part = rest
  if kind == "word" then
    part = text.next_word(rest)
  elseif kind == "line" then
    part = text.next_line(rest)
  end
  if part == "" then
    part = rest
  end
  -- The last part replaces the closers its range covers; they still follow the cursor, since
  -- typing and partial accepts insert before them.
  local stop = col
  if part == rest then
    local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
    if sug.replace ~= "" and line:sub(col + 1, col + #sug.replace) == sug.replace then
      stop = col + #sug.replace
    end
  end
  api.nvim_buf_set_text(bufnr, row, col, row, stop, text.lines(part))
  local erow, ecol = text.end_position(row, col, part)
  api.nvim_win_set_cursor(0, { erow + 1, ecol })
  st.tick = api.nvim_buf_get_changedtick(bufnr)
  local item = sug.items[sug.index]
  local client = vim.lsp.get_client_by_id(sug.client_id)
  local command ---@type lsp.Command|nil
  if part == rest then
    command = text.accept_command(item.command, nil)
    M.clear(bufnr)
  else
    sug.accepted = sug.accepted + text.char_count(part)
    command = text.accept_command(item.command, sug.accepted)
    local line = api.nvim_buf_get_lines(bufnr, erow, erow + 1, false)[1] or ""
    sug.row, sug.prefix, sug.text = erow, line:sub(1, ecol), rest:sub(#part + 1)
    M.refresh(bufnr)
  end
  if client and command then
    lsp.exec_cmd(client, command, bufnr)
  end
  return true
end

---@return boolean dismissed
function M.dismiss()
  local bufnr = api.nvim_get_current_buf()
  local st = buffers[bufnr]
  if not st then
    return false
  end
  local was = M.visible(bufnr)
  cancel_inflight(st)
  M.clear(bufnr)
  return was
end

--- Show another of the server's items.
---@param step integer 1 for the next, -1 for the previous
---@return boolean
function M.cycle(step)
  local bufnr = api.nvim_get_current_buf()
  local st = buffers[bufnr]
  local sug = st and st.suggestion
  if not sug or #sug.items < 2 or sug.accepted > 0 then
    return false
  end
  sug.index = (sug.index - 1 + step) % #sug.items + 1
  sug.text = sug.texts[sug.index]
  sug.replace = sug.replaces[sug.index]
  return M.refresh(bufnr)
end

--- Ask for a suggestion now, without waiting for a pause.
function M.trigger()
  M.request(api.nvim_get_current_buf())
end

return M

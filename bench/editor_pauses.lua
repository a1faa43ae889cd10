--- Instruments a Neovim for bench_editor_pauses.py: when ghost text became visible, when the last
--- key arrived, and (for the naive baseline) a client with no delay and no reuse.
---
--- Loaded with `dofile` after the plugin; returns a module the benchmark calls over RPC.
--- Times are `vim.uv.hrtime()` (CLOCK_MONOTONIC, nanoseconds), like Python's `time.monotonic_ns()`.

local api = vim.api
local uv = vim.uv or vim.loop

local M = {}

local NAIVE_NS = api.nvim_create_namespace("bench.naive_ghost")
local WATCHED = { "deepseek_fim.ghost", "nvim.lsp.inline_completion", "bench.naive_ghost" }

--- What is on screen as ghost text, and since when.
local seen = { text = nil, since = 0, changed_at = nil, last_key = 0, keys = 0 }

---@return table<integer, boolean>
local function watched_ids()
  local ids = {}
  local all = api.nvim_get_namespaces()
  for _, name in ipairs(WATCHED) do
    if all[name] then
      ids[all[name]] = true
    end
  end
  return ids
end

--- The ghost text drawn in the current buffer (virtual text, then virtual lines), or nil.
---@return string|nil
function M.ghost_text()
  for id in pairs(watched_ids()) do
    local marks = api.nvim_buf_get_extmarks(0, id, 0, -1, { details = true })
    for _, mark in ipairs(marks) do
      local details = mark[4]
      local first = {}
      for _, chunk in ipairs(details.virt_text or {}) do
        first[#first + 1] = chunk[1]
      end
      local lines = { table.concat(first) }
      for _, vl in ipairs(details.virt_lines or {}) do
        local parts = {}
        for _, chunk in ipairs(vl) do
          parts[#parts + 1] = chunk[1]
        end
        lines[#lines + 1] = table.concat(parts)
      end
      local text = table.concat(lines, "\n")
      if text ~= "" then
        return text
      end
    end
  end
  return nil
end

--- After any change to a ghost namespace, once the event loop is idle: note a new text.
local function commit()
  local changed_at = seen.changed_at
  seen.changed_at = nil
  local text = M.ghost_text()
  if text ~= seen.text then
    seen.text = text
    seen.since = changed_at or uv.hrtime()
  end
end

local function touched(ns)
  if watched_ids()[ns] and seen.changed_at == nil then
    seen.changed_at = uv.hrtime()
    vim.schedule(commit)
  end
end

--- Wrap the extmark functions every ghost implementation calls through `vim.api`.
function M.install()
  for _, name in ipairs({ "nvim_buf_set_extmark", "nvim_buf_del_extmark" }) do
    local original = api[name]
    api[name] = function(buf, ns, ...)
      touched(ns)
      return original(buf, ns, ...)
    end
  end
  local clear = api.nvim_buf_clear_namespace
  api.nvim_buf_clear_namespace = function(buf, ns, ...)
    if ns == -1 then
      for id in pairs(watched_ids()) do
        touched(id)
      end
    else
      touched(ns)
    end
    return clear(buf, ns, ...)
  end
  vim.on_key(function()
    seen.last_key = uv.hrtime()
    seen.keys = seen.keys + 1
  end)
end

--- The state the benchmark reads at the end of a pause.
---@return table
function M.state()
  local pos = api.nvim_win_get_cursor(0)
  return {
    text = seen.text or vim.NIL,
    since = seen.since,
    last_key = seen.last_key,
    keys = seen.keys,
    now = uv.hrtime(),
    row = pos[1],
    col = pos[2],
    mode = api.nvim_get_mode().mode,
  }
end

--- The buffer's text, for the final check.
---@return string
function M.buffer_text()
  return table.concat(api.nvim_buf_get_lines(0, 0, -1, false), "\n") .. "\n"
end

-- The naive baseline: a request at every change, whatever is shown is cleared at every key
-- (no typing into a suggestion), nothing cancelled by the client.
local naive = { text = nil, command = nil, client_id = nil }

local function naive_clear(bufnr)
  naive.text, naive.command = nil, nil
  api.nvim_buf_clear_namespace(bufnr, NAIVE_NS, 0, -1)
end

local function naive_request(bufnr)
  naive_clear(bufnr)
  local client = vim.lsp.get_clients({ name = "deepseek_fim", bufnr = bufnr })[1]
  if not client then
    return
  end
  local tick = api.nvim_buf_get_changedtick(bufnr)
  local pos = api.nvim_win_get_cursor(0)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  ---@diagnostic disable-next-line: inject-field
  params.context = { triggerKind = 2 }
  client:request("textDocument/inlineCompletion", params, function(err, result)
    if err or not result or api.nvim_buf_get_changedtick(bufnr) ~= tick then
      return
    end
    local now = api.nvim_win_get_cursor(0)
    if now[1] ~= pos[1] or now[2] ~= pos[2] or not api.nvim_get_mode().mode:match("^i") then
      return
    end
    local item = (result.items or result)[1]
    local insert = item and item.insertText
    if type(insert) == "table" then
      insert = insert.value
    end
    if type(insert) ~= "string" or insert == "" then
      return
    end
    local lines = vim.split(insert, "\n", { plain = true })
    local virt_lines = {}
    for i = 2, #lines do
      virt_lines[#virt_lines + 1] = { { lines[i], "Comment" } }
    end
    api.nvim_buf_set_extmark(bufnr, NAIVE_NS, pos[1] - 1, pos[2], {
      virt_text = { { lines[1], "Comment" } },
      virt_text_pos = "inline",
      virt_lines = #virt_lines > 0 and virt_lines or nil,
    })
    naive.text, naive.command, naive.client_id = insert, item.command, client.id
  end, bufnr)
end

--- Insert the naive client's suggestion and report the accept to the server.
---@return boolean
function M.naive_accept()
  local bufnr = api.nvim_get_current_buf()
  local insert, command = naive.text, naive.command
  if not insert then
    return false
  end
  naive_clear(bufnr)
  local pos = api.nvim_win_get_cursor(0)
  local lines = vim.split(insert, "\n", { plain = true })
  api.nvim_buf_set_text(bufnr, pos[1] - 1, pos[2], pos[1] - 1, pos[2], lines)
  local row = pos[1] + #lines - 1
  local col = (#lines == 1 and pos[2] or 0) + #lines[#lines]
  api.nvim_win_set_cursor(0, { row, col })
  local client = vim.lsp.get_client_by_id(naive.client_id)
  if client and command then
    client:exec_cmd(command, { bufnr = bufnr })
  end
  return true
end

--- Use the naive client in a buffer (the plugin's ghost text must be off).
---@param bufnr integer
function M.naive_attach(bufnr)
  local group = api.nvim_create_augroup("bench.naive." .. bufnr, { clear = true })
  api.nvim_create_autocmd({ "TextChangedI", "InsertEnter" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      naive_request(bufnr)
    end,
  })
  vim.keymap.set("i", "<Tab>", function()
    if naive.text then
      return "<Cmd>lua require('bench_editor_pauses').naive_accept()<CR>"
    end
    return "<Tab>"
  end, { buffer = bufnr, expr = true, replace_keycodes = true })
end

package.loaded["bench_editor_pauses"] = M
return M

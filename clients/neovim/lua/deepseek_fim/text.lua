--- Pure text logic of a suggestion: what is left after typing, the next word or line to accept.
---
--- No editor state here: everything works on plain strings, so the busted specs cover it.

local M = {}

--- Number of characters (Unicode code points) of UTF-8 text.
---@param text string
---@return integer
function M.char_count(text)
  local _, n = text:gsub("[^\128-\191]", "")
  return n
end

--- What is left of a suggestion after the user typed on from where it was requested.
---
--- `anchor_prefix` is the cursor line before the cursor when the suggestion was requested,
--- `current_prefix` the same text now. Returns the rest of the suggestion when the typed characters
--- are its beginning, "" when all of it was typed, nil when the user typed something else or moved
--- the cursor back.
---@param suggestion string
---@param anchor_prefix string
---@param current_prefix string
---@return string|nil
function M.remaining(suggestion, anchor_prefix, current_prefix)
  if #current_prefix < #anchor_prefix or current_prefix:sub(1, #anchor_prefix) ~= anchor_prefix then
    return nil
  end
  local typed = current_prefix:sub(#anchor_prefix + 1)
  if typed == "" then
    return suggestion
  end
  if suggestion:sub(1, #typed) ~= typed then
    return nil
  end
  return suggestion:sub(#typed + 1)
end

--- The part of `text` that "accept word" inserts.
---
--- Leading blanks go with the word; a word is a run of letters, digits and underscores, or a run of
--- other non-blank characters. At a line break the break and the next line's indentation come first,
--- so that repeated use walks through a multi-line suggestion.
---@param text string
---@return string
function M.next_word(text)
  if text == "" then
    return ""
  end
  local newline = text:match("^\r?\n[ \t]*")
  if newline then
    return newline
  end
  local blanks = text:match("^[ \t]*")
  local rest = text:sub(#blanks + 1)
  local word = rest:match("^[%w_\128-\255]+") or rest:match("^[^%w_%s\128-\255]+") or ""
  return blanks .. word
end

--- The part of `text` that "accept line" inserts: up to the end of the current line.
---
--- When the suggestion starts with a line break, that break and the whole next line are accepted.
---@param text string
---@return string
function M.next_line(text)
  local first = text:match("^[^\n]*")
  if first ~= "" then
    return (first:gsub("\r$", ""))
  end
  if text == "" then
    return ""
  end
  local line = text:match("^\r?\n[^\n]*")
  return (line:gsub("\r$", ""))
end

--- Split text into lines on "\n" (keeping empty ones), the form `nvim_buf_set_text` wants.
---@param text string
---@return string[]
function M.lines(text)
  local out = {}
  local start = 1
  while true do
    local i = text:find("\n", start, true)
    if not i then
      out[#out + 1] = text:sub(start)
      return out
    end
    out[#out + 1] = text:sub(start, i - 1)
    start = i + 1
  end
end

--- Where the cursor ends up after inserting `text` at (row, col) (0-based row, byte col).
---@param row integer
---@param col integer
---@param text string
---@return integer row, integer col
function M.end_position(row, col, text)
  local lines = M.lines(text)
  if #lines == 1 then
    return row, col + #lines[1]
  end
  return row + #lines - 1, #lines[#lines]
end

--- The text to insert at the cursor for an item whose `insertText` replaces `range_prefix`
--- (the buffer text from the item's range start to the cursor). nil when the item does not
--- start with that text, i.e. it would rewrite what the user wrote.
---@param insert_text string
---@param range_prefix string
---@return string|nil
function M.strip_range_prefix(insert_text, range_prefix)
  if range_prefix == "" then
    return insert_text
  end
  if insert_text:sub(1, #range_prefix) ~= range_prefix then
    return nil
  end
  return insert_text:sub(#range_prefix + 1)
end

--- The `deepseekFim.accept` command to run for an accepted item: unchanged for a whole item, with
--- the number of characters accepted so far appended for a partial accept.
---@param command lsp.Command|nil
---@param accepted_chars integer|nil
---@return lsp.Command|nil
function M.accept_command(command, accepted_chars)
  if not command then
    return nil
  end
  local args = vim.deepcopy(command.arguments or {})
  if accepted_chars then
    args[2] = accepted_chars
  end
  return { title = command.title, command = command.command, arguments = args }
end

return M

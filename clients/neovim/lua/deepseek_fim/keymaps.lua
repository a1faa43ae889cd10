--- Insert-mode keymaps for the suggestion; each falls back to its key when nothing is shown.

local config = require("deepseek_fim.config")

local M = {}

---@return table ghost implementation: ours or the built-in one
local function impl()
  if config.use_builtin_ghost() then
    return require("deepseek_fim.builtin")
  end
  return require("deepseek_fim.ghost")
end

--- Run an action on the shown suggestion.
---@param action "accept"|"accept_word"|"accept_line"|"dismiss"|"next"|"prev"
---@return boolean
function M.run(action)
  local g = impl()
  if action == "accept" then
    return g.accept("all")
  elseif action == "accept_word" then
    return g.accept("word")
  elseif action == "accept_line" then
    return g.accept("line")
  elseif action == "dismiss" then
    return g.dismiss()
  elseif action == "next" then
    return g.cycle(1)
  elseif action == "prev" then
    return g.cycle(-1)
  end
  error("unknown action " .. tostring(action))
end

local descriptions = {
  accept = "accept the suggestion",
  accept_word = "accept the next word of the suggestion",
  accept_line = "accept the next line of the suggestion",
  dismiss = "dismiss the suggestion",
  next = "next suggestion",
  prev = "previous suggestion",
}

--- Map the configured keys in a buffer.
---@param bufnr integer
function M.set(bufnr)
  for action, lhs in pairs(config.get().keymaps) do
    if lhs then
      vim.keymap.set("i", lhs, function()
        if impl().visible(bufnr) then
          return ("<Cmd>lua require('deepseek_fim.keymaps').run(%q)<CR>"):format(action)
        end
        return lhs
      end, {
        buffer = bufnr,
        expr = true,
        replace_keycodes = true,
        desc = "DeepSeek FIM: " .. descriptions[action],
      })
    end
  end
end

return M

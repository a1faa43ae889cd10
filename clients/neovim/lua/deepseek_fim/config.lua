--- Options of the plugin: defaults, validation and the current value.
---
--- Nothing here talks to the server; `lsp_settings()` is what the server receives under `deepseekFim`.

---@class deepseek_fim.KeymapOpts
---@field accept string|false Accept the whole suggestion (falls back to the key itself).
---@field accept_word string|false Accept the next word.
---@field accept_line string|false Accept the rest of the current line.
---@field dismiss string|false Hide the suggestion.
---@field next string|false Show the next suggestion.
---@field prev string|false Show the previous suggestion.

---@class deepseek_fim.GhostOpts
---@field enabled boolean Show suggestions as ghost text in insert mode.
---@field builtin "auto"|boolean Use `vim.lsp.inline_completion` (Neovim 0.12+) instead of our own extmarks.
---@field delay_ms integer Pause after typing before a suggestion is requested (our own ghost text).
---@field hl_group string Highlight group of the ghost text.

---@class deepseek_fim.Config
---@field cmd string[]|nil The language server command (nil: the installed server, else `deepseek-fim-ls` on $PATH).
---@field api_key_cmd string|string[]|nil A command whose stdout is the API key (e.g. `pass show deepseek`).
---@field auto_start boolean Start the server for every file buffer.
---@field filetypes string[]|nil Only these filetypes (nil: all).
---@field root_markers string[] Files marking a project root.
---@field settings table<string, any> Server settings (the `deepseekFim` section, camelCase keys).
---@field ghost deepseek_fim.GhostOpts
---@field keymaps deepseek_fim.KeymapOpts

---@class deepseek_fim.UserConfig
---@field cmd? string[]
---@field api_key_cmd? string|string[]
---@field auto_start? boolean
---@field filetypes? string[]
---@field root_markers? string[]
---@field settings? table<string, any>
---@field ghost? deepseek_fim.GhostOpts|{}
---@field keymaps? deepseek_fim.KeymapOpts|{}

local M = {}

---@type deepseek_fim.Config
M.defaults = {
  cmd = nil,
  api_key_cmd = nil,
  auto_start = true,
  filetypes = nil,
  root_markers = { ".git" },
  settings = {},
  ghost = {
    enabled = true,
    builtin = "auto",
    delay_ms = 0,
    hl_group = "DeepSeekFimGhost",
  },
  keymaps = {
    accept = "<Tab>",
    accept_word = "<M-Right>",
    accept_line = "<M-C-Right>",
    dismiss = "<C-]>",
    next = "<M-]>",
    prev = "<M-[>",
  },
}

---@param v any
---@return boolean
local function is_key_or_false(v)
  return v == false or (type(v) == "string" and v ~= "")
end

---@param v any
---@return boolean
local function is_string_list(v)
  if type(v) ~= "table" then
    return false
  end
  for _, item in ipairs(v) do
    if type(item) ~= "string" then
      return false
    end
  end
  return true
end

--- Check one field with `vim.validate`, naming it by its path (`ghost.delay_ms`).
---@param path string
---@param value any
---@param check string|string[]|fun(v: any): boolean
---@param optional boolean
---@param message? string
local function check_field(path, value, check, optional, message)
  if optional and value == nil then
    return
  end
  if vim.fn.has("nvim-0.11") == 1 then
    vim.validate(path, value, check, false, message)
  elseif type(check) == "function" then
    vim.validate({ [path] = { value, check, message } })
  else
    vim.validate({ [path] = { value, check } })
  end
end

---@param opts deepseek_fim.UserConfig
local function validate(opts)
  check_field("opts", opts, "table", false)
  check_field("cmd", opts.cmd, function(v)
    return is_string_list(v) and #v > 0
  end, true, "non-empty list of strings")
  check_field("api_key_cmd", opts.api_key_cmd, function(v)
    return (type(v) == "string" and v ~= "") or (is_string_list(v) and #v > 0)
  end, true, "a command (string or list of strings)")
  check_field("auto_start", opts.auto_start, "boolean", true)
  check_field("filetypes", opts.filetypes, is_string_list, true, "list of strings")
  check_field("root_markers", opts.root_markers, is_string_list, true, "list of strings")
  check_field("settings", opts.settings, "table", true)
  if opts.settings and opts.settings.apiKey ~= nil then
    error(
      "settings.apiKey: do not put the key in your config; use DEEPSEEK_API_KEY or api_key_cmd",
      0
    )
  end
  check_field("ghost", opts.ghost, "table", true)
  local ghost = opts.ghost or {}
  check_field("ghost.enabled", ghost.enabled, "boolean", true)
  check_field("ghost.builtin", ghost.builtin, function(v)
    return v == "auto" or type(v) == "boolean"
  end, true, '"auto" or boolean')
  check_field("ghost.delay_ms", ghost.delay_ms, function(v)
    return type(v) == "number" and v >= 0 and math.floor(v) == v
  end, true, "non-negative integer")
  check_field("ghost.hl_group", ghost.hl_group, "string", true)
  check_field("keymaps", opts.keymaps, "table", true)
  for name, key in pairs(opts.keymaps or {}) do
    if M.defaults.keymaps[name] == nil then
      error(("keymaps.%s: unknown keymap"):format(name), 0)
    end
    check_field("keymaps." .. name, key, is_key_or_false, false, "a key (string) or false")
  end
  for name in pairs(opts) do
    if
      M.defaults[name] == nil
      and name ~= "cmd"
      and name ~= "api_key_cmd"
      and name ~= "filetypes"
    then
      error(("%s: unknown option"):format(name), 0)
    end
  end
end

--- Validate user options; raises an error naming the offending field (`ghost.delay_ms: ...`).
---@param opts deepseek_fim.UserConfig
function M.validate(opts)
  local ok, err = pcall(validate, opts)
  if not ok then
    error("deepseek_fim: " .. tostring(err):gsub("^[^:]*:%d+: ", ""), 0)
  end
end

--- Defaults merged with validated user options.
---@param opts? deepseek_fim.UserConfig
---@return deepseek_fim.Config
function M.resolve(opts)
  opts = opts or {}
  M.validate(opts)
  local merged = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts)
  -- Lists replace, they do not merge index by index.
  for _, list in ipairs({ "cmd", "filetypes", "root_markers" }) do
    if opts[list] ~= nil then
      merged[list] = vim.deepcopy(opts[list])
    end
  end
  return merged
end

---@type deepseek_fim.Config
M.current = M.resolve({})

---@param opts? deepseek_fim.UserConfig
---@return deepseek_fim.Config
function M.set(opts)
  M.current = M.resolve(opts)
  return M.current
end

---@return deepseek_fim.Config
function M.get()
  return M.current
end

--- Whether to use Neovim's built-in inline completion (0.12+) for ghost text.
---@param cfg? deepseek_fim.Config
---@param has_builtin? boolean defaults to whether `vim.lsp.inline_completion` exists
---@return boolean
function M.use_builtin_ghost(cfg, has_builtin)
  cfg = cfg or M.current
  if has_builtin == nil then
    has_builtin = vim.lsp.inline_completion ~= nil
  end
  if cfg.ghost.builtin == "auto" then
    return has_builtin
  end
  return cfg.ghost.builtin == true and has_builtin
end

return M

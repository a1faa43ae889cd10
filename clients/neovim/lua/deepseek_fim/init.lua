--- deepseek-fim for Neovim: DeepSeek Fill-in-the-Middle suggestions from the `deepseek-fim-ls`
--- language server, as ghost text, completion items and a budget in the statusline.
---
--- `setup()` is optional: the plugin starts the server for file buffers with the defaults.

local config = require("deepseek_fim.config")
local lsp = require("deepseek_fim.client")
local server = require("deepseek_fim.server")
local status = require("deepseek_fim.status")

local M = {}

local has_011 = vim.fn.has("nvim-0.11") == 1

M.enabled = true

--- The API key: `api_key_cmd`'s output when that option is set, else `$DEEPSEEK_API_KEY`.
--- Read each time the server starts and handed to it through its environment only.
---@return string|nil key, string source_or_problem
function M.api_key()
  local cmd = config.get().api_key_cmd
  if cmd then
    local argv = type(cmd) == "string" and { "sh", "-c", cmd } or cmd --[[@as string[] ]]
    local ok, res = pcall(function()
      return vim.system(argv, { text = true }):wait(10000)
    end)
    if not ok then
      return nil, "api_key_cmd could not run"
    end
    if res.code ~= 0 then
      return nil, ("api_key_cmd exited with %d"):format(res.code)
    end
    local key = vim.trim(res.stdout or "")
    if key == "" then
      return nil, "api_key_cmd printed nothing"
    end
    return key, "api_key_cmd"
  end
  local env = vim.env.DEEPSEEK_API_KEY
  if env and env ~= "" then
    return env, "DEEPSEEK_API_KEY"
  end
  return nil, "DEEPSEEK_API_KEY is not set and no api_key_cmd is configured"
end

--- Start the server process with the key in its environment (never in settings or on disk).
---@param dispatchers vim.lsp.rpc.Dispatchers
---@return vim.lsp.rpc.PublicClient
local function start_rpc(dispatchers)
  local env = {}
  if config.get().api_key_cmd then
    env.DEEPSEEK_API_KEY = M.api_key()
  end
  local found = server.command()
  if not found then
    error(server.missing_message, 0)
  end
  return vim.lsp.rpc.start(found.cmd, dispatchers, { env = env })
end

--- The buffer's root, or nil (with a one-time hint) while there is no server to start.
---@param bufnr integer
---@return string|nil
local function root_for(bufnr)
  if not server.command() then
    vim.notify_once(server.missing_message, vim.log.levels.WARN)
    return nil
  end
  return vim.fs.root(bufnr, config.get().root_markers) or vim.fn.getcwd()
end

--- The server settings sent to the server (the `deepseekFim` section), with the client's state.
---@return table
local function server_settings()
  local s = vim.deepcopy(config.get().settings)
  -- Always at least one key: an empty table would be sent as a JSON array.
  s.enabled = M.enabled and s.enabled ~= false
  return s
end

--- A `vim.lsp.Config` for `deepseek-fim-ls` (what `lsp/deepseek_fim.lua` returns).
---@return vim.lsp.Config
function M.lsp_config()
  local cfg = config.get()
  ---@type vim.lsp.Config
  return {
    name = lsp.name,
    cmd = start_rpc,
    filetypes = cfg.filetypes,
    -- A function (0.11+): no start, and one hint, until `:DeepSeekFim install` has run.
    root_dir = function(bufnr, on_dir)
      local root = root_for(bufnr)
      if root then
        on_dir(root)
      end
    end,
    -- One server for the whole editor: it completes from every open buffer.
    reuse_client = function(client, conf)
      return client.name == conf.name
    end,
    settings = { deepseekFim = server_settings() },
    init_options = { deepseekFim = server_settings() },
    -- Read the settings again when the server starts: Neovim may have resolved this table
    -- before setup() ran (`lsp/deepseek_fim.lua`), and then only `enabled` would reach it.
    before_init = function(params)
      params.initializationOptions = { deepseekFim = server_settings() }
    end,
    on_init = function(client)
      client.settings = client.settings or {}
      client.settings.deepseekFim = server_settings()
    end,
    capabilities = { textDocument = { inlineCompletion = { dynamicRegistration = false } } },
    handlers = { ["deepseekFim/budget"] = status.handler },
  }
end

---@param bufnr integer
---@return boolean
local function wants(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return false
  end
  local fts = config.get().filetypes
  return fts == nil or vim.tbl_contains(fts, vim.bo[bufnr].filetype)
end

--- Start (or reuse) the server for a buffer.
---@param bufnr? integer
---@return integer|nil client_id
function M.start(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not wants(bufnr) then
    return nil
  end
  local conf = has_011 and vim.deepcopy(vim.lsp.config[lsp.name] or M.lsp_config())
    or M.lsp_config()
  if type(conf.root_dir) ~= "string" then
    conf.root_dir = root_for(bufnr)
    if not conf.root_dir then
      return nil
    end
  end
  return vim.lsp.start(conf, { bufnr = bufnr, reuse_client = conf.reuse_client })
end

--- Begin starting the server for file buffers (what the plugin does unless told not to).
function M.auto_start()
  if has_011 then
    vim.lsp.enable(lsp.name)
    return
  end
  local group = vim.api.nvim_create_augroup("deepseek_fim.start", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    callback = function(args)
      M.start(args.buf)
    end,
  })
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].filetype ~= "" then
      M.start(buf)
    end
  end
end

--- Send the current settings to running servers.
local function push_settings()
  for _, client in ipairs(lsp.all()) do
    client.settings = client.settings or {}
    client.settings.deepseekFim = server_settings()
    lsp.notify(client, "workspace/didChangeConfiguration", { settings = client.settings })
  end
end

--- Optional: configure the plugin. See `:h deepseek_fim-config`.
---@param opts? deepseek_fim.UserConfig
function M.setup(opts)
  local cfg = config.set(opts)
  status.define_highlights()
  if has_011 then
    -- Forget a config resolved before setup(), so the next start sees these options.
    vim.lsp.config(lsp.name, {})
  end
  if cfg.auto_start then
    M.auto_start()
  elseif has_011 and vim.lsp.is_enabled and vim.lsp.is_enabled(lsp.name) then
    vim.lsp.enable(lsp.name, false)
  end
  push_settings()
end

---@return boolean
local function builtin()
  return config.use_builtin_ghost()
end

--- Turn suggestions on or off everywhere (the server stops sending requests while off).
---@param on boolean
function M.set_enabled(on)
  M.enabled = on
  local ghost = require("deepseek_fim.ghost")
  ghost.enabled = on
  for _, client in ipairs(lsp.all()) do
    for bufnr in pairs(client.attached_buffers or {}) do
      if builtin() then
        require("deepseek_fim.builtin").refresh(bufnr)
      elseif not on then
        ghost.dismiss()
        ghost.clear(bufnr)
      end
    end
  end
  push_settings()
end

function M.enable()
  M.set_enabled(true)
end

function M.disable()
  M.set_enabled(false)
end

function M.toggle()
  M.set_enabled(not M.enabled)
end

--- Stop the server(s) and start again for the buffers they served (re-reads the key).
function M.restart()
  local bufs = {}
  local clients = lsp.all()
  for _, client in ipairs(clients) do
    for bufnr in pairs(client.attached_buffers or {}) do
      bufs[#bufs + 1] = bufnr
    end
    lsp.stop(client)
  end
  local stopped = vim.wait(5000, function()
    for _, client in ipairs(clients) do
      if not lsp.is_stopped(client) then
        return false
      end
    end
    return true
  end, 20)
  if not stopped then
    for _, client in ipairs(clients) do
      lsp.stop(client, true)
    end
  end
  status.reset()
  for _, bufnr in ipairs(bufs) do
    M.start(bufnr)
  end
end

--- Budget text for any statusline; `{ highlight = true }` wraps it in the state's group.
---@param opts? deepseek_fim.StatuslineOpts
---@return string
function M.statusline(opts)
  return status.statusline(opts)
end

--- Called for every client attaching to a buffer: ghost text and keymaps for ours.
---@param client vim.lsp.Client
---@param bufnr integer
function M.on_attach(client, bufnr)
  local cfg = config.get()
  if cfg.ghost.enabled then
    if builtin() then
      require("deepseek_fim.builtin").attach(bufnr)
    else
      require("deepseek_fim.ghost").attach(bufnr, client.id)
    end
  end
  require("deepseek_fim.keymaps").set(bufnr)
end

local group = vim.api.nvim_create_augroup("deepseek_fim", { clear = true })
vim.api.nvim_create_autocmd("LspAttach", {
  group = group,
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == lsp.name then
      M.on_attach(client, args.buf)
    end
  end,
})
vim.api.nvim_create_autocmd("LspDetach", {
  group = group,
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == lsp.name then
      require("deepseek_fim.ghost").detach(args.buf)
    end
  end,
})
vim.api.nvim_create_autocmd("ColorScheme", { group = group, callback = status.define_highlights })
status.define_highlights()

return M

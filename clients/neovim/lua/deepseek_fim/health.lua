--- `:checkhealth deepseek_fim`: server found (and what `:DeepSeekFim install` installed, how to
--- update it), key set, API answering, Neovim features in use.

local config = require("deepseek_fim.config")
local lsp = require("deepseek_fim.client")

local M = {}

local health = vim.health

--- Budget states that mean completions cannot work until the user acts.
local ERROR_STATES = { noKey = true, authFailed = true, exhausted = true, expired = true }
local WARN_STATES = { low = true, throttled = true, offline = true, disabled = true }

local function check_server()
  health.start("deepseek-fim: language server")
  local server = require("deepseek_fim.server")
  local install = require("deepseek_fim.install")
  local found = server.command()
  local info = install.info()
  local root = install.repo_root()
  local update = root
      and ("update: `git -C %s pull`, then `:DeepSeekFim install` (lazy.nvim: `:Lazy update` runs it)"):format(
        root
      )
    or "update: `:DeepSeekFim install` again"
  if not found then
    health.error("no server: `cmd` is not set, nothing installed, no `deepseek-fim-ls` on $PATH", {
      "run `:DeepSeekFim install` (a private venv under stdpath('data') from this plugin's repository)",
      "or set `cmd` in `require('deepseek_fim').setup({ cmd = { '/path/to/deepseek-fim-ls' } })`",
    })
    return
  end
  local where = {
    cmd = "the `cmd` option",
    installed = "installed by :DeepSeekFim install",
    PATH = "$PATH",
  }
  health.ok(("server: %s (%s)"):format(table.concat(found.cmd, " "), where[found.source]))
  if info then
    health.info(
      ("installed: %s from %s%s with %s, on %s"):format(
        tostring(info.version),
        tostring(info.repo),
        info.commit and (" at commit " .. info.commit) or "",
        tostring(info.python),
        tostring(info.date)
      )
    )
    if found.source ~= "installed" then
      health.info("the installed server is not used: " .. where[found.source] .. " comes first")
    end
  end
  health.info(update)
end

local function check_key()
  health.start("deepseek-fim: API key")
  local key, source = require("deepseek_fim").api_key()
  if key then
    -- Never print the key itself, not even a part of it.
    health.ok(("key found (from %s)"):format(source))
  else
    health.error(source, {
      "export DEEPSEEK_API_KEY in the environment Neovim starts from",
      "or set `api_key_cmd`, e.g. `{ 'pass', 'show', 'deepseek' }`",
    })
  end
end

local function check_api()
  health.start("deepseek-fim: API (the server's state)")
  local client = lsp.get(0) or lsp.all()[1]
  if not client then
    health.warn("the language server is not running; open a file buffer to start it")
    return
  end
  health.ok(
    ("client %d running (pid %s)"):format(client.id, tostring(client.rpc and client.rpc.pid or "?"))
  )
  local res = lsp.request_sync(client, "deepseekFim/status", {}, 5000)
  if not res then
    health.error("no answer to deepseekFim/status within 5 s")
    return
  end
  if res.err then
    health.error("deepseekFim/status failed: " .. tostring(res.err.message))
    return
  end
  local st = res.result or {}
  local line = ("state %s: %s"):format(tostring(st.state), tostring(st.text))
  local advice = type(st.message) == "string" and { st.message } or nil
  if ERROR_STATES[st.state] then
    health.error(line, advice)
  elseif WARN_STATES[st.state] then
    health.warn(line, advice)
  else
    health.ok(line)
  end
end

local function check_features()
  health.start("deepseek-fim: Neovim features")
  local v = vim.version()
  health.info(("Neovim %d.%d.%d"):format(v.major, v.minor, v.patch))
  if vim.fn.has("nvim-0.10") == 0 then
    health.error("Neovim 0.10 or newer is needed")
  end
  local cfg = config.get()
  if not cfg.ghost.enabled then
    health.info("ghost text: off (ghost.enabled = false)")
  elseif config.use_builtin_ghost(cfg) then
    health.ok("ghost text: vim.lsp.inline_completion (built in, 0.12+)")
  else
    health.ok("ghost text: extmarks drawn by deepseek_fim (textDocument/inlineCompletion)")
  end
  if vim.fn.has("nvim-0.11") == 1 then
    health.ok("server config: lsp/deepseek_fim.lua via vim.lsp.enable()")
  else
    health.ok("server config: vim.lsp.start() on FileType")
  end
  health.info(
    vim.lsp.completion and "completion: vim.lsp.completion is available (textDocument/completion)"
      or "completion: vim.lsp.completion not available"
  )
  for _, mod in ipairs({ "cmp", "blink.cmp", "lualine" }) do
    if pcall(require, mod) then
      health.info(mod .. " found: see :h deepseek_fim-sources / deepseek_fim-statusline")
    end
  end
end

function M.check()
  check_server()
  check_key()
  check_api()
  check_features()
end

return M

--- Where the language server is: the `cmd` option, else the private virtual environment that
--- `:DeepSeekFim install` made, else `deepseek-fim-ls` on $PATH.

local config = require("deepseek_fim.config")

local M = {}

M.name = "deepseek-fim-ls"

local is_windows = vim.fn.has("win32") == 1

--- The private virtual environment (`stdpath("data")/deepseek-fim/venv`).
---@return string
function M.venv_dir()
  return vim.fs.joinpath(vim.fn.stdpath("data") --[[@as string]], "deepseek-fim", "venv")
end

--- A program of the private venv (`bin/` or, on Windows, `Scripts/`).
---@param name string
---@return string
function M.venv_program(name)
  if is_windows then
    return vim.fs.joinpath(M.venv_dir(), "Scripts", name .. ".exe")
  end
  return vim.fs.joinpath(M.venv_dir(), "bin", name)
end

---@class deepseek_fim.ServerCommand
---@field cmd string[]
---@field source "cmd"|"installed"|"PATH"

--- The command that starts the server, and where it came from; nil when there is none.
---@return deepseek_fim.ServerCommand|nil
function M.command()
  local cmd = config.get().cmd
  if cmd then
    return { cmd = cmd, source = "cmd" }
  end
  local installed = M.venv_program(M.name)
  if vim.fn.executable(installed) == 1 then
    return { cmd = { installed }, source = "installed" }
  end
  local on_path = vim.fn.exepath(M.name)
  if on_path ~= "" then
    return { cmd = { on_path }, source = "PATH" }
  end
  return nil
end

M.missing_message = "deepseek-fim: no language server yet: run :DeepSeekFim install"

return M

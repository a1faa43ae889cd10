--- `:DeepSeekFim install`: the language server in a private virtual environment under
--- `stdpath("data")`, built from the repository this plugin lives in (`clients/neovim` of it).
---
--- Steps: find a Python 3.11+, create the venv (once), `pip install --upgrade <repository>`, write
--- a stamp (`deepseek-fim-install.json`: version, commit, Python, date) for `:checkhealth`. Running it
--- again updates the server from the repository (after a `git pull`, or lazy.nvim's update).

local server = require("deepseek_fim.server")

local M = {}

M.MIN_PYTHON = { 3, 11 }
M.STAMP = "deepseek-fim-install.json"

local is_windows = vim.fn.has("win32") == 1
local running = false

--- The repository root: three levels above this plugin's `lua/` directory, if it has the package.
---@return string|nil root, string|nil problem
function M.repo_root()
  local source = debug.getinfo(1, "S").source:gsub("^@", "")
  local plugin = vim.fn.fnamemodify(source, ":p:h:h:h") -- .../clients/neovim
  local root = vim.fn.fnamemodify(plugin, ":h:h")
  if vim.fn.filereadable(vim.fs.joinpath(root, "pyproject.toml")) == 0 then
    return nil,
      ("%s is not inside a clone of the deepseek-fim repository (no %s)"):format(
        plugin,
        vim.fs.joinpath(root, "pyproject.toml")
      )
  end
  return root, nil
end

--- Parse "3.11.2" into { 3, 11, 2 }.
---@param text string
---@return integer[]|nil
function M.parse_version(text)
  local major, minor, patch = (text or ""):match("(%d+)%.(%d+)%.?(%d*)")
  if not major then
    return nil
  end
  return { tonumber(major), tonumber(minor), tonumber(patch) or 0 }
end

---@param v integer[]
---@return boolean
function M.supported(v)
  return v[1] > M.MIN_PYTHON[1] or (v[1] == M.MIN_PYTHON[1] and v[2] >= M.MIN_PYTHON[2])
end

--- Candidate Python command lines, in order.
---@return string[][]
function M.python_candidates()
  local out = {}
  if type(vim.g.deepseek_fim_python) == "string" and vim.g.deepseek_fim_python ~= "" then
    out[#out + 1] = { vim.g.deepseek_fim_python }
  end
  if is_windows then
    vim.list_extend(out, { { "py", "-3" }, { "python" } })
  else
    vim.list_extend(out, { { "python3" }, { "python" } })
  end
  return out
end

--- The first Python 3.11+ (its command line and version), or nil and what was found instead.
---@return string[]|nil cmd, string version_or_problem
function M.find_python()
  local seen = {}
  for _, cmd in ipairs(M.python_candidates()) do
    if vim.fn.executable(cmd[1]) == 1 then
      local argv = vim.list_extend(vim.deepcopy(cmd), {
        "-c",
        "import sys; print('%d.%d.%d' % sys.version_info[:3])",
      })
      local ok, res = pcall(function()
        return vim.system(argv, { text = true }):wait(10000)
      end)
      local version = ok and res.code == 0 and M.parse_version(res.stdout) or nil
      if version and M.supported(version) then
        return cmd, table.concat(version, ".")
      end
      seen[#seen + 1] = ("%s is %s"):format(
        table.concat(cmd, " "),
        version and ("Python " .. table.concat(version, ".")) or "not a working Python"
      )
    end
  end
  local found = #seen > 0 and (" (found: " .. table.concat(seen, "; ") .. ")") or ""
  return nil, ("needs Python %d.%d or newer%s"):format(M.MIN_PYTHON[1], M.MIN_PYTHON[2], found)
end

--- What `install` wrote last time, or nil.
---@return table|nil
function M.info()
  local path = vim.fs.joinpath(server.venv_dir(), M.STAMP)
  if vim.fn.filereadable(path) == 0 then
    return nil
  end
  local ok, data = pcall(vim.json.decode, table.concat(vim.fn.readfile(path), "\n"))
  return ok and type(data) == "table" and data or nil
end

---@param msg string
---@param level? integer
local function say(msg, level)
  vim.schedule(function()
    vim.notify(msg, level or vim.log.levels.INFO)
  end)
end

--- Show a line of pip's output where messages go, cut to fit (no hit-enter prompt).
---@param line string
local function progress(line)
  vim.schedule(function()
    local width = math.max(vim.v.echospace - 1, 10)
    local text = ("deepseek-fim install: %s"):format(line)
    if vim.fn.strdisplaywidth(text) > width then
      text = vim.fn.strcharpart(text, 0, width - 1) .. "…"
    end
    vim.api.nvim_echo({ { text, "MoreMsg" } }, false, {})
  end)
end

--- Run `argv`, streaming its output lines to `on_line`; `on_exit(code, output)`.
---@param argv string[]
---@param on_line fun(line: string)
---@param on_exit fun(code: integer, output: string)
local function run(argv, on_line, on_exit)
  local chunks = {}
  local function collect(_, data)
    if data then
      chunks[#chunks + 1] = data
      for line in data:gmatch("[^\r\n]+") do
        on_line(vim.trim(line))
      end
    end
  end
  local ok, err = pcall(
    vim.system,
    argv,
    { text = true, stdout = collect, stderr = collect },
    function(res)
      vim.schedule(function()
        on_exit(res.code, table.concat(chunks))
      end)
    end
  )
  if not ok then
    on_exit(-1, tostring(err))
  end
end

---@param root string
---@return string|nil
local function commit_of(root)
  local ok, res = pcall(function()
    return vim
      .system({ "git", "-C", root, "rev-parse", "--short", "HEAD" }, { text = true })
      :wait(5000)
  end)
  return ok and res.code == 0 and vim.trim(res.stdout) or nil
end

---@class deepseek_fim.InstallOpts
---@field wait? boolean Block until done (for lazy.nvim's `build`); returns ok, message.
---@field on_done? fun(ok: boolean, message: string)

--- Install (or update) the server into the private venv; see the module comment.
---@param opts? deepseek_fim.InstallOpts
---@return boolean|nil ok, string|nil message (only with `wait`)
function M.install(opts)
  opts = opts or {}
  if running then
    say("deepseek-fim install: already running", vim.log.levels.WARN)
    return false, "already running"
  end
  local result
  local function finish(ok, message)
    running = false
    result = { ok, message }
    say(message, ok and vim.log.levels.INFO or vim.log.levels.ERROR)
    if ok then
      vim.schedule(function()
        M.start_servers()
      end)
    end
    if opts.on_done then
      vim.schedule(function()
        opts.on_done(ok, message)
      end)
    end
  end

  local root, problem = M.repo_root()
  if not root then
    finish(false, "deepseek-fim install: " .. problem)
    return false, problem
  end
  local python, version = M.find_python()
  if not python then
    finish(false, "deepseek-fim install: " .. version)
    return false, version
  end
  running = true
  local venv = server.venv_dir()
  local venv_python = server.venv_program("python")
  local steps = vim.fn.executable(venv_python) == 1 and 1 or 2
  local function pip_install()
    say(
      ("deepseek-fim install [%d/%d]: pip install (from the plugin's repository)"):format(
        steps,
        steps
      )
    )
    local argv =
      { venv_python, "-m", "pip", "install", "--upgrade", "--disable-pip-version-check", root }
    run(argv, progress, function(code, output)
      if code ~= 0 then
        local tail = vim.split(vim.trim(output), "\n")
        finish(false, ("deepseek-fim install: pip failed (%d): %s"):format(code, tail[#tail] or ""))
        return
      end
      local exe = server.venv_program(server.name)
      local res = vim.system({ exe, "--version" }, { text = true }):wait(10000)
      local installed = vim.trim(res.stdout or "")
      local stamp = {
        version = installed,
        repo = root,
        commit = commit_of(root),
        python = table.concat(python, " ") .. " " .. version,
        date = os.date("!%Y-%m-%dT%H:%M:%SZ"),
      }
      vim.fn.writefile({ vim.json.encode(stamp) }, vim.fs.joinpath(venv, M.STAMP))
      finish(
        res.code == 0,
        res.code == 0
            and ("deepseek-fim install: done, %s (see :checkhealth deepseek_fim)"):format(installed)
          or ("deepseek-fim install: %s --version failed"):format(exe)
      )
    end)
  end
  if steps == 2 then
    say(("deepseek-fim install [1/2]: a virtual environment with Python %s"):format(version))
    vim.fn.mkdir(vim.fn.fnamemodify(venv, ":h"), "p")
    local argv = vim.list_extend(vim.deepcopy(python), { "-m", "venv", venv })
    run(argv, progress, function(code, output)
      if code ~= 0 then
        finish(false, ("deepseek-fim install: python -m venv failed (%d): %s"):format(code, output))
        return
      end
      pip_install()
    end)
  else
    pip_install()
  end
  if opts.wait then
    vim.wait(15 * 60 * 1000, function()
      return result ~= nil
    end, 100)
    if not result then
      return false, "timed out"
    end
    return result[1], result[2]
  end
  return nil, nil
end

--- Start the server for the file buffers that are open (after an install), or restart it.
function M.start_servers()
  local fim = require("deepseek_fim")
  if #require("deepseek_fim.client").all() > 0 then
    fim.restart()
    return
  end
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].filetype ~= "" then
      fim.start(buf)
    end
  end
end

return M

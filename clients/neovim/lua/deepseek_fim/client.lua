--- Finding our LSP client and talking to it, across Neovim 0.10 (dot calls) and 0.11+ (method calls).

local M = {}

M.name = "deepseek_fim"

local has_011 = vim.fn.has("nvim-0.11") == 1

---@param bufnr? integer
---@return vim.lsp.Client|nil
function M.get(bufnr)
  local filter = { name = M.name }
  if bufnr then
    filter.bufnr = bufnr == 0 and vim.api.nvim_get_current_buf() or bufnr
  end
  return vim.lsp.get_clients(filter)[1]
end

---@return vim.lsp.Client[]
function M.all()
  return vim.lsp.get_clients({ name = M.name })
end

--- Send a request; returns its id, or nil when the client could not send it.
---@param client vim.lsp.Client
---@param method string
---@param params table|nil
---@param handler fun(err: lsp.ResponseError|nil, result: any, ctx: lsp.HandlerContext)
---@param bufnr? integer
---@return integer|nil
function M.request(client, method, params, handler, bufnr)
  local ok, id
  if has_011 then
    ok, id = client:request(method, params, handler, bufnr)
  else
    ---@diagnostic disable-next-line: param-type-mismatch
    ok, id = client.request(method, params, handler, bufnr)
  end
  return ok and id or nil
end

---@param client vim.lsp.Client
---@param method string
---@param params table|nil
---@param timeout_ms integer
---@param bufnr? integer
---@return {err: lsp.ResponseError|nil, result: any}|nil
function M.request_sync(client, method, params, timeout_ms, bufnr)
  if has_011 then
    return client:request_sync(method, params, timeout_ms, bufnr)
  end
  ---@diagnostic disable-next-line: param-type-mismatch
  return client.request_sync(method, params, timeout_ms, bufnr)
end

--- Cancel an in-flight request (sends `$/cancelRequest`).
---@param client vim.lsp.Client
---@param id integer
function M.cancel(client, id)
  if has_011 then
    client:cancel_request(id)
  else
    ---@diagnostic disable-next-line: param-type-mismatch
    client.cancel_request(id)
  end
end

---@param client vim.lsp.Client
---@param method string
---@param params table|nil
function M.notify(client, method, params)
  if has_011 then
    client:notify(method, params)
  else
    ---@diagnostic disable-next-line: param-type-mismatch
    client.notify(method, params)
  end
end

--- Run a server command (`workspace/executeCommand`), e.g. `deepseekFim.accept`.
---@param client vim.lsp.Client
---@param command lsp.Command
---@param bufnr integer
function M.exec_cmd(client, command, bufnr)
  if has_011 then
    client:exec_cmd(command, { bufnr = bufnr })
    return
  end
  M.request(client, "workspace/executeCommand", {
    command = command.command,
    arguments = command.arguments,
  }, function() end, bufnr)
end

---@param client vim.lsp.Client
---@param force? boolean
function M.stop(client, force)
  if has_011 then
    client:stop(force)
  else
    ---@diagnostic disable-next-line: param-type-mismatch
    client.stop(force)
  end
end

---@param client vim.lsp.Client
---@return boolean
function M.is_stopped(client)
  if has_011 then
    return client:is_stopped()
  end
  ---@diagnostic disable-next-line: missing-parameter
  return client.is_stopped()
end

return M

-- The nvim-cmp and blink.cmp adapters, driven by small stand-ins of each host's source API and a
-- fake LSP client in place of the running server.

local lsp = require("deepseek_fim.client")

---@return table fake client, table[] requests, table[] commands, integer[] cancelled
local function fake_client(result)
  local requests, commands, cancelled = {}, {}, {}
  local client = { id = 7, name = "deepseek_fim", offset_encoding = "utf-16" }
  function client:request(method, params, handler, bufnr)
    requests[#requests + 1] = { method = method, params = params, bufnr = bufnr }
    vim.schedule(function()
      handler(nil, result, { method = method, client_id = self.id })
    end)
    return true, #requests
  end
  function client:cancel_request(id)
    cancelled[#cancelled + 1] = id
  end
  function client:exec_cmd(command, ctx)
    commands[#commands + 1] = { command = command, bufnr = ctx.bufnr }
  end
  return client, requests, commands, cancelled
end

local item = {
  label = "return a + b",
  insertText = "return a + b",
  command = { title = "Accepted", command = "deepseekFim.accept", arguments = { "c-42" } },
}

local original_get
local bufnr

before_each(function()
  original_get = lsp.get
  bufnr = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_set_current_buf(bufnr)
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, { "def add(a, b):", "    ret" })
  vim.o.virtualedit = "onemore" -- the cursor after the last character, as in insert mode
  vim.api.nvim_win_set_cursor(0, { 2, 7 })
end)

after_each(function()
  lsp.get = original_get
  vim.api.nvim_buf_delete(bufnr, { force = true })
end)

--- Stand-in of nvim-cmp: keeps registered sources and calls them the way cmp.core does.
local function cmp_host()
  local host = { sources = {} }
  function host.register_source(name, source)
    host.sources[name] = source
    return #vim.tbl_keys(host.sources)
  end
  function host.complete(name, buf)
    local source = host.sources[name]
    if not source:is_available() then
      return nil
    end
    local response
    source:complete({
      option = {},
      offset = 5,
      context = { bufnr = buf, cursor = { row = 2, col = 8 }, cursor_before_line = "    ret" },
      completion_context = { triggerKind = 1 },
    }, function(r)
      response = r
    end)
    vim.wait(1000, function()
      return response ~= nil
    end)
    return response
  end
  return host
end

describe("nvim-cmp source", function()
  local cmp_source = require("deepseek_fim.cmp")

  it("registers under its name with nvim-cmp", function()
    local host = cmp_host()
    package.loaded["cmp"] = host
    cmp_source.register()
    package.loaded["cmp"] = nil
    assert.is_not_nil(host.sources.deepseek_fim)
    assert.are.equal("deepseek_fim", host.sources.deepseek_fim:get_debug_name())
  end)

  it("is unavailable without our server on the buffer", function()
    lsp.get = function()
      return nil
    end
    local host = cmp_host()
    host.register_source("deepseek_fim", cmp_source.new())
    assert.is_nil(host.complete("deepseek_fim", bufnr))
  end)

  it("asks the server for textDocument/completion at the cursor and passes items on", function()
    local client, requests = fake_client({ isIncomplete = true, items = { item } })
    lsp.get = function()
      return client
    end
    local host = cmp_host()
    host.register_source("deepseek_fim", cmp_source.new())
    local response = host.complete("deepseek_fim", bufnr)
    assert.are.equal(1, #requests)
    assert.are.equal("textDocument/completion", requests[1].method)
    assert.are.same({ line = 1, character = 7 }, requests[1].params.position)
    assert.are.equal(vim.uri_from_bufnr(bufnr), requests[1].params.textDocument.uri)
    assert.are.same({ triggerKind = 1 }, requests[1].params.context)
    assert.are.same({ item }, response.items)
    assert.is_true(response.isIncomplete)
  end)

  it("accepts a plain item array as a result", function()
    assert.are.same({ items = { item }, isIncomplete = false }, cmp_source.to_response({ item }))
    assert.are.same({ items = {}, isIncomplete = false }, cmp_source.to_response(nil))
  end)

  it("runs the item's command on execute, so the server records the acceptance", function()
    local client, _, commands = fake_client({ items = {} })
    lsp.get = function()
      return client
    end
    local done
    cmp_source.new():execute(item, function(i)
      done = i
    end)
    assert.are.equal(item, done)
    assert.are.equal(1, #commands)
    assert.are.same(item.command, commands[1].command)
  end)
end)

--- Stand-in of blink.cmp's provider: new(opts), enabled(), get_completions(ctx, cb), execute().
local function blink_host(module, opts)
  local host = { source = module.new(opts) }
  function host.complete(buf)
    if not host.source:enabled() then
      return nil
    end
    local response
    local cancel = host.source:get_completions({
      bufnr = buf,
      cursor = { 2, 7 },
      line = "    ret",
      trigger = { kind = "keyword" },
    }, function(r)
      response = r
    end)
    host.cancel = cancel
    vim.wait(1000, function()
      return response ~= nil
    end)
    return response
  end
  return host
end

describe("blink.cmp source", function()
  local blink_source = require("deepseek_fim.blink")

  it("is disabled without our server on the buffer", function()
    lsp.get = function()
      return nil
    end
    assert.is_nil(blink_host(blink_source, {}).complete(bufnr))
  end)

  it("returns the server's items in blink's response shape", function()
    local client, requests = fake_client({ isIncomplete = false, items = { vim.deepcopy(item) } })
    lsp.get = function()
      return client
    end
    local host = blink_host(blink_source, { score_offset = 1 })
    local response = host.complete(bufnr)
    assert.are.equal("textDocument/completion", requests[1].method)
    assert.are.same({ line = 1, character = 7 }, requests[1].params.position)
    assert.are.same({ triggerKind = 1 }, requests[1].params.context)
    assert.are.equal(1, #response.items)
    assert.are.equal("return a + b", response.items[1].insertText)
    assert.are.equal(1, response.items[1].kind) -- Text when the server gives no kind
    assert.is_true(response.is_incomplete_forward)
    assert.are.equal(1, host.source.opts.score_offset)
  end)

  it("passes a trigger character on", function()
    local client, requests = fake_client({ items = {} })
    lsp.get = function()
      return client
    end
    local source = blink_source.new()
    source:get_completions(
      { bufnr = bufnr, trigger = { kind = "trigger_character", character = "." } },
      function() end
    )
    assert.are.same({ triggerKind = 2, triggerCharacter = "." }, requests[1].params.context)
  end)

  it("returns a cancel function that cancels the request", function()
    local client, _, _, cancelled = fake_client({ items = {} })
    lsp.get = function()
      return client
    end
    local host = blink_host(blink_source, {})
    host.complete(bufnr)
    assert.is_function(host.cancel)
    host.cancel()
    assert.are.same({ 1 }, cancelled)
  end)

  it("inserts through blink's default and then runs the item's command", function()
    local client, _, commands = fake_client({ items = {} })
    lsp.get = function()
      return client
    end
    local order = {}
    blink_source.new():execute({ bufnr = bufnr }, item, function()
      order[#order + 1] = "callback"
    end, function()
      order[#order + 1] = "default"
    end)
    assert.are.same({ "default", "callback" }, order)
    assert.are.same(item.command, commands[1].command)
  end)
end)

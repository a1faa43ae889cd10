-- The lazy.nvim spec of the README, loaded from the README itself and run with a plugin object
-- like lazy.nvim's (its `dir` is the repository root), so the documented spec is the tested one.
local plugin_dir = vim.fn.getcwd() -- clients/neovim (busted runs from there)
local repo = vim.fn.fnamemodify(plugin_dir, ":h:h")

local function readme_spec()
  local text = table.concat(vim.fn.readfile(plugin_dir .. "/README.md"), "\n")
  local code = text:match("<!%-%- lazy%.nvim spec %-%->\n```lua\n(.-)\n```")
  assert(code, "README.md has the lazy.nvim spec after its marker")
  local chunk = assert(loadstring("return " .. code, "README lazy.nvim spec"))
  return chunk()
end

describe("the README's lazy.nvim spec", function()
  local spec = readme_spec()
  local real_install = package.loaded["deepseek_fim.install"]

  after_each(function()
    package.loaded["deepseek_fim.install"] = real_install
    vim.opt.rtp:prepend(plugin_dir)
  end)

  it("names the repository, loads at start-up and has config and build functions", function()
    assert.are.equal("deepseek-fim/deepseek-fim", spec[1])
    assert.is_false(spec.lazy)
    assert.are.equal("function", type(spec.config))
    assert.are.equal("function", type(spec.build))
    assert.are.same({}, spec.opts)
  end)

  it(
    "config puts clients/neovim on the runtimepath, defines :DeepSeekFim and applies opts",
    function()
      vim.opt.rtp:remove(plugin_dir)
      assert.is_false(vim.tbl_contains(vim.opt.rtp:get(), plugin_dir))
      vim.g.loaded_deepseek_fim = nil
      pcall(vim.api.nvim_del_user_command, "DeepSeekFim")
      spec.config({ dir = repo }, { auto_start = false, ghost = { delay_ms = 7 } })
      assert.is_true(vim.tbl_contains(vim.opt.rtp:get(), plugin_dir))
      assert.are.equal(2, vim.fn.exists(":DeepSeekFim"))
      assert.are.equal(7, require("deepseek_fim.config").get().ghost.delay_ms)
      require("deepseek_fim").setup({ auto_start = false })
    end
  )

  it("build runs the install and waits for it; a failed install fails the build", function()
    local calls = {}
    local ok_next = true
    package.loaded["deepseek_fim.install"] = {
      install = function(opts)
        calls[#calls + 1] = opts
        return ok_next, ok_next and "done" or "needs Python 3.11 or newer"
      end,
    }
    spec.build({ dir = repo })
    assert.are.same({ { wait = true } }, calls)
    assert.is_true(vim.fn.filereadable(plugin_dir .. "/doc/tags") == 1, "help tags generated")
    ok_next = false
    local ok, err = pcall(spec.build, { dir = repo })
    assert.is_false(ok)
    assert.matches("needs Python 3.11", tostring(err), 1, true)
  end)
end)

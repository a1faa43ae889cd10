local install = require("deepseek_fim.install")
local server = require("deepseek_fim.server")
local config = require("deepseek_fim.config")

describe("install", function()
  it("finds the repository root this plugin lives in", function()
    local root = install.repo_root()
    assert.are.equal(vim.fn.fnamemodify(vim.fn.getcwd(), ":h:h"), root)
    assert.are.equal(1, vim.fn.filereadable(root .. "/pyproject.toml"))
  end)

  it("reads Python versions and accepts 3.11 and newer only", function()
    assert.are.same({ 3, 11, 2 }, install.parse_version("3.11.2\n"))
    assert.is_nil(install.parse_version("Python was not found"))
    assert.is_true(install.supported({ 3, 11, 0 }))
    assert.is_true(install.supported({ 4, 0, 0 }))
    assert.is_false(install.supported({ 3, 10, 14 }))
  end)

  it("tries g:deepseek_fim_python first", function()
    vim.g.deepseek_fim_python = "/opt/py/bin/python3.12"
    assert.are.same({ "/opt/py/bin/python3.12" }, install.python_candidates()[1])
    vim.g.deepseek_fim_python = nil
    assert.are.same({ "python3" }, install.python_candidates()[1])
  end)

  it("keeps the venv under stdpath('data')", function()
    assert.are.equal(vim.fn.stdpath("data") .. "/deepseek-fim/venv", server.venv_dir())
    assert.matches(
      "/deepseek%-fim/venv/bin/deepseek%-fim%-ls$",
      server.venv_program("deepseek-fim-ls")
    )
  end)
end)

describe("server.command", function()
  after_each(function()
    config.set({})
  end)

  it("uses the cmd option first", function()
    config.set({ cmd = { "/opt/ls", "--stdio" } })
    assert.are.same({ cmd = { "/opt/ls", "--stdio" }, source = "cmd" }, server.command())
  end)

  it("uses the installed server when there is one", function()
    local exe = server.venv_program("deepseek-fim-ls")
    vim.fn.mkdir(vim.fn.fnamemodify(exe, ":h"), "p")
    vim.fn.writefile({ "#!/bin/sh" }, exe)
    vim.fn.setfperm(exe, "rwxr-xr-x")
    local found = server.command()
    vim.fn.delete(server.venv_dir(), "rf")
    assert.are.same({ cmd = { exe }, source = "installed" }, found)
  end)
end)

local config = require("deepseek_fim.config")

describe("config.resolve", function()
  it("gives the defaults without options", function()
    local c = config.resolve()
    assert.is_nil(c.cmd, "no cmd: the server module finds the installed server")
    assert.is_true(c.auto_start)
    assert.are.equal("<Tab>", c.keymaps.accept)
    assert.are.equal("auto", c.ghost.builtin)
  end)

  it("merges nested options over the defaults", function()
    local c = config.resolve({ ghost = { delay_ms = 10 }, keymaps = { accept = "<C-l>" } })
    assert.are.equal(10, c.ghost.delay_ms)
    assert.is_true(c.ghost.enabled)
    assert.are.equal("<C-l>", c.keymaps.accept)
    assert.are.equal("<M-Right>", c.keymaps.accept_word)
  end)

  it("replaces lists instead of merging them by index", function()
    local c = config.resolve({ cmd = { "/opt/ls" } })
    assert.are.same({ "/opt/ls" }, c.cmd)
  end)

  it("lets a keymap be turned off", function()
    assert.is_false(config.resolve({ keymaps = { dismiss = false } }).keymaps.dismiss)
  end)

  it("does not change the defaults", function()
    config.resolve({ ghost = { delay_ms = 5 } })
    assert.are.equal(0, config.defaults.ghost.delay_ms)
  end)
end)

describe("config.validate", function()
  local function err_of(opts)
    local ok, err = pcall(config.validate, opts)
    assert.is_false(ok)
    return err
  end

  it("names the field path in errors", function()
    assert.matches("ghost%.delay_ms", err_of({ ghost = { delay_ms = -1 } }))
    assert.matches("keymaps%.accept", err_of({ keymaps = { accept = 3 } }))
    assert.matches("cmd", err_of({ cmd = {} }))
    assert.matches("ghost%.builtin", err_of({ ghost = { builtin = "yes" } }))
  end)

  it("rejects unknown options and keymaps", function()
    assert.matches("colour: unknown option", err_of({ colour = "red" }))
    assert.matches(
      "keymaps%.accept_all: unknown keymap",
      err_of({ keymaps = { accept_all = "x" } })
    )
  end)

  it("refuses an API key in the settings", function()
    assert.matches("settings%.apiKey", err_of({ settings = { apiKey = "sk-fake-test-key" } }))
  end)

  it("accepts a key command as a string or a list", function()
    config.validate({ api_key_cmd = "pass show deepseek" })
    config.validate({ api_key_cmd = { "pass", "show", "deepseek" } })
    assert.matches("api_key_cmd", err_of({ api_key_cmd = 42 }))
  end)

  it("keeps the previous options when set() fails", function()
    config.set({ ghost = { delay_ms = 33 } })
    assert.is_false(pcall(config.set, { ghost = { delay_ms = "soon" } }))
    assert.are.equal(33, config.get().ghost.delay_ms)
    config.set({})
  end)
end)

describe("config.use_builtin_ghost", function()
  it("uses the built-in when available in auto mode", function()
    local c = config.resolve()
    assert.is_true(config.use_builtin_ghost(c, true))
    assert.is_false(config.use_builtin_ghost(c, false))
  end)

  it("never uses it when turned off, nor when missing", function()
    assert.is_false(config.use_builtin_ghost(config.resolve({ ghost = { builtin = false } }), true))
    assert.is_false(config.use_builtin_ghost(config.resolve({ ghost = { builtin = true } }), false))
  end)
end)

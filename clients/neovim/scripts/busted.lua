-- Runs the busted specs inside Neovim: nvim --headless -u NONE -i NONE -n -c "luafile scripts/busted.lua"
-- (from clients/neovim). Debian's lua-busted/lua-luassert are Lua 5.1 modules, which LuaJIT loads.
local root = vim.fn.getcwd()
vim.opt.rtp:prepend(root)
package.path = table.concat({
  root .. "/lua/?.lua",
  root .. "/lua/?/init.lua",
  root .. "/spec/?.lua",
  "/usr/share/lua/5.1/?.lua",
  "/usr/share/lua/5.1/?/init.lua",
  package.path,
}, ";")
package.cpath = "/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;" .. package.cpath

-- BUSTED_ARGS: extra arguments, e.g. "--filter=statusline spec/status_spec.lua".
local extra = vim.split(os.getenv("BUSTED_ARGS") or "", " ", { trimempty = true })
_G.arg = { [0] = "busted", "--output=" .. (os.getenv("BUSTED_OUTPUT") or "utfTerminal") }
vim.list_extend(_G.arg, #extra > 0 and extra or { "spec" })

-- With failures busted raises (Lua 5.1 has no os.exit code through error()); without, it returns.
local ok = pcall(require("busted.runner"), { standalone = false })
io.stdout:flush()
if ok then
  vim.cmd("qa!")
else
  vim.cmd("cq 1")
end

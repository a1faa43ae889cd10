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

local pattern = os.getenv("BUSTED_PATTERN")
_G.arg = { [0] = "busted", "--output=" .. (os.getenv("BUSTED_OUTPUT") or "utfTerminal"), "spec" }
if pattern and pattern ~= "" then
  table.insert(_G.arg, 1, "--filter=" .. pattern)
end

-- busted's runner ends with os.exit(code), which ends Neovim with that code.
local ok, err = pcall(require("busted.runner"), { standalone = false, output = "utfTerminal" })
if not ok then
  io.stderr:write("busted failed to run: " .. tostring(err) .. "\n")
  vim.cmd("cq 2")
end

--- lualine component: `sections = { lualine_x = { "deepseek_fim" } }`.
--- Shows the server's budget text, coloured by the highlight group of its state.

local status = require("deepseek_fim.status")

local component = require("lualine.component"):extend()

function component:init(options)
  options = options or {}
  if options.color == nil then
    options.color = function()
      return status.highlight(status.latest and status.latest.state)
    end
  end
  component.super.init(self, options)
end

function component:update_status()
  return status.escape(status.statusline())
end

return component

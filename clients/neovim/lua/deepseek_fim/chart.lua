--- The server's `daily` series (in `deepseekFim/status`) as a text chart of Unicode blocks, under
--- the table of `:DeepSeekFim usage`. The same picture as `deepseek-fim usage` draws
--- (server/deepseek_fim/budget/chart_text.py): keep the two in step.

local M = {}

M.BAR_WIDTH = 40
M.PLOT_HEIGHT = 8
M.PLOT_WIDTH = 60
M.MAX_DAYS = 31
local HIT, MISS, OUTPUT, FORECAST = "█", "▓", "░", "░"
local EIGHTHS = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" }

---@param x number
---@return integer
local function round(x)
  return math.floor(x + 0.5)
end

---@param n integer
---@return string
local function int(n)
  local s = tostring(math.floor(n))
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  return (out:gsub("^,", ""):gsub("^%-,", "-"))
end

---@param s string
---@param width integer
---@return string
local function rjust(s, width)
  return string.rep(" ", width - vim.fn.strchars(s)) .. s
end

---@param iso string
---@return integer days since the epoch
local function day_number(iso)
  local y, m, d = iso:match("(%d+)-(%d+)-(%d+)")
  return round(
    os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 }) / 86400
  )
end

---@param day table
---@param scale number
---@param allowance_col integer
---@return string
local function bar(day, scale, allowance_col)
  local ends, running = {}, 0
  for i, key in ipairs({ "hit", "miss", "output" }) do
    running = running + day[key]
    ends[i] = scale > 0 and round(running / scale * M.BAR_WIDTH) or 0
  end
  local cells = {}
  for i = 1, M.BAR_WIDTH do
    cells[i] = " "
  end
  local start = 0
  for i, char in ipairs({ HIT, MISS, OUTPUT }) do
    for c = start, math.min(ends[i], M.BAR_WIDTH) - 1 do
      cells[c + 1] = char
    end
    start = math.max(start, ends[i])
  end
  if day.total > 0 and ends[3] == 0 then
    -- Too small for a cell: one cell of the largest part, so use never looks like none.
    local best, most = HIT, day.hit
    for _, part in ipairs({ { MISS, day.miss }, { OUTPUT, day.output } }) do
      if part[2] > most then
        best, most = part[1], part[2]
      end
    end
    cells[1] = best
  end
  if allowance_col >= 0 and allowance_col < M.BAR_WIDTH and cells[allowance_col + 1] == " " then
    cells[allowance_col + 1] = "│"
  end
  return table.concat(cells)
end

--- Tokens per day (the last MAX_DAYS), stacked, with the even daily allowance marked `│`.
---@param daily table
---@return string[]
function M.per_day_lines(daily)
  local all = daily.days or {}
  local days = vim.list_slice(all, math.max(#all - M.MAX_DAYS + 1, 1))
  local allowance = daily.allowancePerDay
  local scale = allowance
  for _, d in ipairs(days) do
    scale = math.max(scale, d.total)
  end
  -- The last cell when the allowance is the scale's top, so the mark is always drawn.
  local allowance_col = scale > 0
      and math.min(round(allowance / scale * M.BAR_WIDTH), M.BAR_WIDTH - 1)
    or -1
  local lines = {
    ("Tokens per day   %s cache hit  %s cache miss  %s output   │ even share of the grant: %s/day"):format(
      HIT,
      MISS,
      OUTPUT,
      int(allowance)
    ),
  }
  if #all > #days then
    lines[1] = lines[1] .. (" (the last %d days)"):format(M.MAX_DAYS)
  end
  for _, d in ipairs(days) do
    lines[#lines + 1] = ("%s %s %s"):format(
      d.date:sub(6),
      bar(d, scale, allowance_col),
      rjust(int(d.total), 11)
    )
  end
  return lines
end

---@param value integer
---@param grant integer
---@return integer eighths of a cell; at least one for any use
local function height(value, grant)
  if grant <= 0 then
    return 0
  end
  local eighths = math.min(round(value / grant * M.PLOT_HEIGHT * 8), M.PLOT_HEIGHT * 8)
  return value > 0 and math.max(eighths, 1) or 0
end

--- Cumulative use against the grant, one column per day, the forecast after today.
---@param daily table
---@return string[]
function M.grant_lines(daily)
  local grant = daily.grantTokens
  local start = day_number(daily.start)
  local count = day_number(daily["end"]) - start + 1
  local used, forecast = {}, {}
  for i, d in ipairs(daily.days or {}) do
    if i <= count then
      used[i - 1] = d.cumulative
    end
  end
  local points = type(daily.forecast) == "table" and #daily.forecast == 2 and daily.forecast or nil
  if points then
    local d0, v0 = day_number(points[1].date) - start, points[1].cumulative
    local d1, v1 = day_number(points[2].date) - start, points[2].cumulative
    for i = math.max(d0 + 1, 0), math.min(d1, count - 1) do
      forecast[i] = round(v0 + (v1 - v0) * (i - d0) / (d1 - d0))
    end
  end
  local today = day_number(daily.today) - start
  local width = count <= M.PLOT_WIDTH and count * math.max(math.floor(M.PLOT_WIDTH / count), 1)
    or M.PLOT_WIDTH
  local day_of = {}
  for c = 0, width - 1 do
    day_of[c] = math.min(math.floor(c * count / width), count - 1)
  end
  local label = #int(grant)
  local note = points and ("  %s forecast to %s"):format(FORECAST, points[2].date) or ""
  local lines = {
    ("Grant used   █ used so far%s   ┈ the grant: %s tokens"):format(note, int(grant)),
    rjust(int(grant), label) .. " ┤" .. string.rep("┈", width),
  }
  for row = 0, M.PLOT_HEIGHT - 1 do
    local floor = (M.PLOT_HEIGHT - 1 - row) * 8
    local cells = {}
    for c = 0, width - 1 do
      local i = day_of[c]
      local value, char = used[i], nil
      if value == nil then
        value, char = forecast[i], FORECAST
      end
      local fill = value == nil and 0 or math.min(math.max(height(value, grant) - floor, 0), 8)
      cells[#cells + 1] = fill == 0 and " " or (char or EIGHTHS[fill + 1])
    end
    local last = row == M.PLOT_HEIGHT - 1
    local prefix = last and rjust("0", label) or string.rep(" ", label)
    lines[#lines + 1] = prefix .. (last and " ┼" or " │") .. table.concat(cells)
  end
  local gap = math.max(width - #daily["end"], 11) - #daily.start
  lines[#lines + 1] = string.rep(" ", label + 2)
    .. daily.start
    .. string.rep(" ", gap)
    .. daily["end"]
  if today >= 0 and today < count then
    local col = 0
    while day_of[col] < today do
      col = col + 1
    end
    local marker = ("▲ today (%s)"):format(daily.today)
    local len = vim.fn.strchars(marker)
    if col + len > width then
      marker = ("today (%s) ▲"):format(daily.today)
      col = math.max(col - len + 1, 0)
    end
    lines[#lines + 1] = string.rep(" ", label + 2 + col) .. marker
  end
  return lines
end

--- Both pictures, a blank line between them; {} without a series.
---@param daily any
---@return string[]
function M.render(daily)
  if type(daily) ~= "table" or type(daily.days) ~= "table" then
    return {}
  end
  local lines = M.per_day_lines(daily)
  lines[#lines + 1] = ""
  vim.list_extend(lines, M.grant_lines(daily))
  return lines
end

return M

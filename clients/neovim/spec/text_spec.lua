local text = require("deepseek_fim.text")

describe("text.remaining (typed-ahead)", function()
  it("returns the whole suggestion when nothing was typed", function()
    assert.are.equal("return a + b", text.remaining("return a + b", "    ", "    "))
  end)

  it("returns the rest while the user types characters the suggestion contains", function()
    assert.are.equal("urn a + b", text.remaining("return a + b", "    ", "    ret"))
    assert.are.equal("b", text.remaining("return a + b", "    ", "    return a + "))
  end)

  it("returns an empty string once everything was typed", function()
    assert.are.equal("", text.remaining("ab", "x", "xab"))
  end)

  it("returns nil when the user typed something else", function()
    assert.is_nil(text.remaining("return a + b", "    ", "    rex"))
  end)

  it("returns nil when the cursor moved before the anchor", function()
    assert.is_nil(text.remaining("return", "    ", "   "))
  end)

  it("returns nil when the text before the anchor changed", function()
    assert.is_nil(text.remaining("return", "def f", "def g"))
  end)

  it("works across multi-byte characters", function()
    assert.are.equal("ñor", text.remaining("señor", "", "se"))
  end)
end)

describe("text.next_word (accept word)", function()
  it("takes a word", function()
    assert.are.equal("return", text.next_word("return a + b"))
  end)

  it("takes leading blanks with the word", function()
    assert.are.equal(" a", text.next_word(" a + b"))
  end)

  it("takes a run of punctuation as one word", function()
    assert.are.equal(" +=", text.next_word(" += 1"))
    assert.are.equal("(", text.next_word("(x)"))
  end)

  it("takes a line break with the next line's indentation", function()
    assert.are.equal("\n    ", text.next_word("\n    return x"))
  end)

  it("treats underscores and digits as word characters", function()
    assert.are.equal("foo_bar2", text.next_word("foo_bar2(x)"))
  end)

  it("walks a whole suggestion when applied repeatedly", function()
    local s, parts = "x = f(a)\ny", {}
    while s ~= "" do
      local w = text.next_word(s)
      parts[#parts + 1] = w
      s = s:sub(#w + 1)
    end
    assert.are.same({ "x", " =", " f", "(", "a", ")", "\n", "y" }, parts)
  end)

  it("returns an empty string for an empty suggestion", function()
    assert.are.equal("", text.next_word(""))
  end)
end)

describe("text.next_line (accept line)", function()
  it("takes the rest of the current line", function()
    assert.are.equal("return a + b", text.next_line("return a + b\nprint(1)"))
  end)

  it("takes a single-line suggestion whole", function()
    assert.are.equal("return a + b", text.next_line("return a + b"))
  end)

  it("takes the line break and the next line at a line end", function()
    assert.are.equal("\n    print(1)", text.next_line("\n    print(1)\nx"))
  end)

  it("drops a carriage return before the break", function()
    assert.are.equal("a", text.next_line("a\r\nb"))
  end)
end)

describe("text.lines / end_position", function()
  it("splits on line breaks and keeps empty lines", function()
    assert.are.same({ "a", "", "b", "" }, text.lines("a\n\nb\n"))
  end)

  it("places the cursor after a single-line insert", function()
    assert.are.same({ 3, 9 }, { text.end_position(3, 4, "abcde") })
  end)

  it("places the cursor at the end of the last inserted line", function()
    assert.are.same({ 5, 3 }, { text.end_position(3, 4, "ab\ncd\nxyz") })
  end)
end)

describe("text.char_count", function()
  it("counts code points, not bytes", function()
    assert.are.equal(5, text.char_count("señor"))
    assert.are.equal(0, text.char_count(""))
  end)
end)

describe("text.strip_range_prefix", function()
  it("removes the already typed part an item repeats", function()
    assert.are.equal("turn x", text.strip_range_prefix("return x", "re"))
  end)

  it("keeps an item without a range prefix", function()
    assert.are.equal("x", text.strip_range_prefix("x", ""))
  end)

  it("rejects an item that rewrites what was typed", function()
    assert.is_nil(text.strip_range_prefix("print(x)", "re"))
  end)
end)

describe("text.accept_command", function()
  local cmd = { title = "Accepted", command = "deepseekFim.accept", arguments = { "c-1" } }

  it("keeps the item's command for a whole accept", function()
    assert.are.same(cmd, text.accept_command(cmd, nil))
  end)

  it("adds the characters accepted for a partial accept", function()
    local out = text.accept_command(cmd, 6)
    assert.are.same({ "c-1", 6 }, out.arguments)
    assert.are.same({ "c-1" }, cmd.arguments) -- the item's command is not changed
  end)

  it("returns nil without a command", function()
    assert.is_nil(text.accept_command(nil, 3))
  end)
end)

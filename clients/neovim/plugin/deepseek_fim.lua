if vim.g.loaded_deepseek_fim then
  return
end
vim.g.loaded_deepseek_fim = true

vim.api.nvim_create_user_command("DeepSeekFim", function(args)
  require("deepseek_fim.commands").run(args.fargs)
end, {
  nargs = "?",
  desc = "DeepSeek FIM: enable|disable|toggle|status|usage|restart|install",
  complete = function(arglead)
    return require("deepseek_fim.commands").complete(arglead)
  end,
})

if vim.g.deepseek_fim_auto_start ~= false then
  if vim.fn.has("nvim-0.11") == 1 then
    vim.lsp.enable("deepseek_fim") -- resolves lsp/deepseek_fim.lua on the first FileType
  else
    require("deepseek_fim").auto_start()
  end
end

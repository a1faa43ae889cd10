-- A vim.lsp.Config for deepseek-fim-ls, for `vim.lsp.enable("deepseek_fim")` (Neovim 0.11+).
-- Options come from `require("deepseek_fim").setup()`; `vim.lsp.config("deepseek_fim", {...})`
-- overrides any field.
return require("deepseek_fim").lsp_config()

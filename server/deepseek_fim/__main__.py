"""`python -m deepseek_fim` runs the language server."""

from deepseek_fim.lsp.main import main

main()

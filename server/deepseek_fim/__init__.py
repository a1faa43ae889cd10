"""deepseek-fim: DeepSeek Fill-in-the-Middle completion as a language server."""

__version__ = "0.1.0"

"""The DeepSeek HTTP client: FIM requests, SSE, typed errors, /models and /user/balance."""

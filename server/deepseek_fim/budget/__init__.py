"""The token budget: ledger, prices, grant, forecast and budget state."""

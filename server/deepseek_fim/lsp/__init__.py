"""LSP glue: the only layer that knows lsprotocol types."""

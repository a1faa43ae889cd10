"""Test support shipped with the package: the loopback fake of the DeepSeek API."""

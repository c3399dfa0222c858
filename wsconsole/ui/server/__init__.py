"""The embedded server's dock: its driver, clients, settings."""

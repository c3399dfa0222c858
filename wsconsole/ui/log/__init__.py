"""The log's table, filter bar, details pane, and capture files."""

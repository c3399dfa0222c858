"""One connection's tab: its driver, address bar, options, handshake, close panel and charts."""

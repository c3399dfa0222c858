"""The polled client: transport, handshake record, reader thread, `WebSocketPeer`. See DEVELOPERS.md."""

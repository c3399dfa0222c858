"""The WebSocket protocol with no I/O: frames, close codes, the client connection. See DEVELOPERS.md."""

"""Payloads as text: previews, hex, JSON, decoders, value trees, redaction."""

"""The composer: what to send, saved messages, sequences."""

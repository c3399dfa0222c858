"""What a session keeps: the log, its recorder, filters, traffic, sequences, reconnect, replay, capture."""

"""Files in the user's config and data folders: profiles, history, saved messages, sequences."""

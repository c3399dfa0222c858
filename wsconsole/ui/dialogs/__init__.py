"""Dialogs opened from the menus."""

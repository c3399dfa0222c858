"""The main window, the application's start, and the GUI-thread garbage collector."""

"""The relay in the window: its Qt driver, its tab and the break, inject and fault controls."""

"""The public path of the main window: ``from wsconsole.ui.main_window import MainWindow``.

The window's code lives in :mod:`wsconsole.ui.window.main_window`.
"""

from wsconsole.ui.window.main_window import MainWindow

__all__ = ["MainWindow"]

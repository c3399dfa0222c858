"""Everything that imports Qt: thin adapters around the Qt-free core, one folder per part of the window.

``connection/driver.py`` turns the polled peer into signals and
``server/driver.py`` does the same for the echo server; ``log/model.py``
adapts the message log to Qt's model/view; the widgets emit intents that
``connection/tab.py`` and ``window/main_window.py`` wire.
"""

"""Everything that imports Qt: thin adapters around the Qt-free core.

``driver`` turns the polled peer into signals, ``server_driver`` does the
same for the echo server, ``log_model`` adapts the message log to Qt's
model/view, and the widgets emit intents that ``main_window`` wires.
"""

"""Shared test setup.

Qt must run offscreen in CI and on machines without a display: the platform
is chosen when the QApplication starts, so this is set before anything
imports Qt (pytest loads this file first).  The fixtures every layer's tests
share are in ``tests/support/fixtures.py``, loaded here as a plugin.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["tests.support.fixtures"]

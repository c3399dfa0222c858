"""The connection options' Pings group: auto-pong, the automatic ping and the Ping button's payload.

These are the peer's settings, not part of :class:`~wsconsole.client.options.ConnectOptions`:
they take effect at once on an open connection, and a profile keeps them as
:class:`~wsconsole.storage.profiles.PingSettings`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLineEdit, QWidget

from wsconsole.protocol.limits import MAX_CONTROL_PAYLOAD_BYTES
from wsconsole.storage.profiles import PingSettings
from wsconsole.ui.connection.problem_label import problem_label

MAX_PING_INTERVAL_S = 3600.0


class PingSettingsGroup(QGroupBox):
    """Edits a :class:`PingSettings`.

    Signals:
        auto_pong_changed(bool): the auto-pong switch moved.
        ping_interval_changed(float): the automatic ping interval, seconds; 0 for off.
    """

    auto_pong_changed = Signal(bool)
    ping_interval_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Pings", parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.auto_pong_check = QCheckBox("Answer pings automatically (auto-pong)", objectName="autoPongCheck")
        self.auto_pong_check.setChecked(True)
        self.auto_pong_check.setToolTip("Untick to test a server's idle timeout; takes effect at once")
        self.auto_pong_check.toggled.connect(self.auto_pong_changed)
        self.ping_interval_spin = QDoubleSpinBox(objectName="pingIntervalSpin")
        self.ping_interval_spin.setRange(0.0, MAX_PING_INTERVAL_S)
        self.ping_interval_spin.setDecimals(1)
        self.ping_interval_spin.setSuffix(" s")
        self.ping_interval_spin.setSpecialValueText("off")
        self.ping_interval_spin.valueChanged.connect(self.ping_interval_changed)
        self.ping_payload_edit = QLineEdit(objectName="pingPayloadEdit")
        self.ping_payload_edit.setPlaceholderText("none")
        self.ping_payload_edit.setToolTip(
            f"Sent by the Ping button, as UTF-8; at most {MAX_CONTROL_PAYLOAD_BYTES} bytes (RFC 6455 section 5.5)"
        )
        self.ping_payload_edit.textChanged.connect(self._on_payload)
        self.ping_payload_problem = problem_label("ping_payload")
        form.addRow(self.auto_pong_check)
        form.addRow("Ping every", self.ping_interval_spin)
        form.addRow("Ping payload", self.ping_payload_edit)
        form.addRow(self.ping_payload_problem)

    @property
    def auto_pong(self) -> bool:
        return self.auto_pong_check.isChecked()

    @property
    def ping_interval_s(self) -> float:
        """Seconds between automatic pings; 0 for none."""
        return self.ping_interval_spin.value()

    @property
    def ping_payload(self) -> str:
        """The Ping button's payload, "" for none."""
        return self.ping_payload_edit.text()

    def settings(self) -> PingSettings:
        """Auto-pong, the automatic ping interval and the payload, as a profile keeps them."""
        return PingSettings(self.auto_pong, self.ping_interval_s, self.ping_payload)

    def set_settings(self, settings: PingSettings) -> None:
        """Shows ``settings``; ``auto_pong_changed`` and ``ping_interval_changed`` fire for what moved,
        so an open connection takes them at once."""
        self.auto_pong_check.setChecked(settings.auto_pong)
        self.ping_interval_spin.setValue(min(settings.interval_s, self.ping_interval_spin.maximum()))
        self.ping_payload_edit.setText(settings.payload)

    def _on_payload(self, text: str) -> None:
        size = len(text.encode("utf-8", "surrogatepass"))
        problem = (
            f"{size} bytes: a ping payload is at most {MAX_CONTROL_PAYLOAD_BYTES} (RFC 6455 section 5.5)"
            if size > MAX_CONTROL_PAYLOAD_BYTES
            else ""
        )
        self.ping_payload_problem.setText(problem)
        self.ping_payload_problem.setVisible(bool(problem))

"""A small live line plot of training losses, drawn with QPainter (no plotting library)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

COLOURS = ("#e4572e", "#4c9be8", "#76b041", "#c77dff", "#ffc914")
MAX_POINTS = 2000  # older points are thinned so long runs stay cheap to draw


class LossPlot(QWidget):
    """``add(step, {"d_loss": …, "g_loss": …})`` appends a point to each named series."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.setMinimumSize(240, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 180)

    def clear(self) -> None:
        self.series.clear()
        self.update()

    def add(self, step: float, values: dict[str, float]) -> None:
        for name, value in values.items():
            if not math.isfinite(value):
                continue
            points = self.series.setdefault(name, [])
            points.append((float(step), float(value)))
            if len(points) > MAX_POINTS:
                del points[1::2]  # keep every other point: the shape survives, the cost halves
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#1e1e1e"))
        area = QRectF(self.rect()).adjusted(44, 8, -8, -22)
        points = [p for series in self.series.values() for p in series]
        painter.setPen(QColor("#aaaaaa"))
        if not points:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Losses appear here while training")
            return
        x_low, x_high = min(p[0] for p in points), max(p[0] for p in points)
        y_low, y_high = min(p[1] for p in points), max(p[1] for p in points)
        if y_high - y_low < 1e-9:
            y_low, y_high = y_low - 1, y_high + 1
        x_span = max(x_high - x_low, 1.0)

        def place(x: float, y: float) -> QPointF:
            return QPointF(area.left() + (x - x_low) / x_span * area.width(), area.bottom() - (y - y_low) / (y_high - y_low) * area.height())

        painter.setPen(QPen(QColor("#555555"), 1))
        painter.drawRect(area)
        painter.setPen(QColor("#aaaaaa"))
        painter.drawText(QRectF(0, area.top() - 6, 42, 14), Qt.AlignmentFlag.AlignRight, f"{y_high:.3g}")
        painter.drawText(QRectF(0, area.bottom() - 8, 42, 14), Qt.AlignmentFlag.AlignRight, f"{y_low:.3g}")
        painter.drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 14), Qt.AlignmentFlag.AlignRight, f"step {x_high:.0f}")
        legend_x = area.left() + 6
        for index, (name, series) in enumerate(self.series.items()):
            colour = QColor(COLOURS[index % len(COLOURS)])
            path = QPainterPath(place(*series[0]))
            for point in series[1:]:
                path.lineTo(place(*point))
            painter.setPen(QPen(colour, 1.5))
            painter.drawPath(path)
            painter.drawText(QPointF(legend_x, area.top() + 14), name)
            legend_x += painter.fontMetrics().horizontalAdvance(name) + 14
        painter.end()

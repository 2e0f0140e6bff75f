"""Where the picture sits in the canvas widget: a zoom factor and an offset, and the conversions
between widget and image coordinates that painting, hit-testing and overlays all need."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, QSizeF

MIN_ZOOM, MAX_ZOOM = 0.02, 32.0
FIT_MARGIN = 16  # pixels left around a picture zoomed to fit


class Viewport:
    def __init__(self) -> None:
        self.zoom = 1.0
        self.offset = QPointF(0, 0)  # widget position of the image's top-left corner

    def set_zoom(self, zoom: float) -> None:
        self.zoom = max(MIN_ZOOM, min(zoom, MAX_ZOOM))

    def fit(self, view: QSizeF, image: QSizeF) -> None:
        """Zoom so the whole image shows inside ``view``, centred."""
        self.set_zoom(min((view.width() - FIT_MARGIN) / image.width(), (view.height() - FIT_MARGIN) / image.height()))
        self.center(view, image)

    def center(self, view: QSizeF, image: QSizeF) -> None:
        self.offset = QPointF((view.width() - image.width() * self.zoom) / 2, (view.height() - image.height() * self.zoom) / 2)

    def zoom_about(self, factor: float, anchor: QPointF) -> None:
        """Zoom by ``factor`` keeping the image point under ``anchor`` (a widget point) in place."""
        image_point = self.to_image(anchor)
        self.set_zoom(self.zoom * factor)
        self.offset = anchor - image_point * self.zoom

    def pan(self, dx: float, dy: float) -> None:
        self.offset += QPointF(dx, dy)

    def to_image(self, widget_point: QPointF) -> QPointF:
        return (widget_point - self.offset) / self.zoom

    def to_widget(self, image_rect: QRect | QRectF) -> QRectF:
        rect = QRectF(image_rect)
        return QRectF(self.offset + rect.topLeft() * self.zoom, rect.size() * self.zoom)

    def source_rect(self, widget_rect: QRectF) -> QRectF:
        """The part of the image that ``widget_rect`` shows."""
        return QRectF(self.to_image(widget_rect.topLeft()), widget_rect.size() / self.zoom)

"""A job's preview shown over the canvas's document until cleared, and, under a preview that lets
paint (Live instant style), the strokes painted since the picture it was made from.

Each change of the document's pixels gets a serial. A preview is told the serial of the picture it
was made from; the changes after it are drawn over it, clipped to the pixels a stroke touched, until
a preview made from them arrives. Without them a Live stroke was invisible until it paused or ended.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSizeF
from PySide6.QtGui import QBitmap, QImage, QPainter, QRegion


class CanvasPreview:
    def __init__(self) -> None:
        self.image = QImage()
        self.lets_paint = False  # strokes still go to the layers under it (Live restyles them)
        self._serial = 0
        self._painted: list[tuple[int, QRegion]] = []  # (serial, pixels) changed under the preview

    @property
    def shown(self) -> bool:
        return not self.image.isNull()

    @property
    def serial(self) -> int:
        """Counts the changes to the document's pixels (see show's ``made_at``)."""
        return self._serial

    def show(self, image: QImage | None, lets_paint: bool, made_at: int | None) -> None:
        """``image`` over the document (None: nothing); ``made_at``: the serial of the picture it was
        made from (None: every change so far)."""
        self.image = image if image is not None else QImage()
        self.lets_paint = lets_paint and image is not None
        self._painted = [] if not self.lets_paint or made_at is None else [
            (serial, part) for serial, part in self._painted if serial > made_at]

    def note_change(self, rect: QRect, stroke_coverage: np.ndarray | None) -> None:
        """The document's pixels in ``rect`` changed; ``stroke_coverage``: the coverage of the brush
        stroke going on that changed them (None: another edit)."""
        self._serial += 1
        if self.lets_paint:
            self._painted.append((self._serial, _changed_part(rect, stroke_coverage)))

    def paint(self, painter: QPainter, target: QRectF | None, view: QSizeF, document) -> None:
        """The preview stretched over ``target``, the document's place in the view (None: no
        document; centred in ``view``), with the changes it does not hold yet over it."""
        if target is None:
            side = min(view.width(), view.height()) - 32
            size = self.image.size().toSizeF() * (side / max(self.image.width(), self.image.height()))
            target = QRectF(QPointF((view.width() - size.width()) / 2, (view.height() - size.height()) / 2), size)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, self.image)
        if not self._painted or document.is_empty:
            return
        region = QRegion()
        for _serial, part in self._painted:
            region += part
        painter.save()
        painter.translate(target.topLeft())
        painter.scale(target.width() / document.width, target.height() / document.height)
        painter.setClipRegion(region)
        painter.drawImage(QPointF(0, 0), document.composite)
        painter.restore()


def _changed_part(rect: QRect, stroke_coverage: np.ndarray | None) -> QRegion:
    """The pixels of ``rect`` a brush stroke touched; all of ``rect`` for other edits. The whole
    rectangle of each dab showed the unrestyled picture around the stroke."""
    if stroke_coverage is None:
        return QRegion(rect)
    top, left = rect.top(), rect.left()
    covered = stroke_coverage[top : top + rect.height(), left : left + rect.width()] > 0
    if not covered.any():
        return QRegion()
    black_where_covered = np.ascontiguousarray(np.where(covered, 0, 255).astype(np.uint8))
    height, width = black_where_covered.shape
    image = QImage(black_where_covered.data, width, height, width, QImage.Format.Format_Grayscale8)
    part = QRegion(QBitmap.fromImage(image.convertToFormat(QImage.Format.Format_Mono)))
    part.translate(left, top)
    return part

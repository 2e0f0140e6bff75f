"""The painting surface: shows the layered document with zoom and pan, paints with the chosen tool,
takes drops and pastes, and records every edit on its undo stack."""

from __future__ import annotations

import io
import logging
import weakref
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QUndoStack
from PySide6.QtWidgets import QWidget

from desktop_app.canvas import pixels as px
from desktop_app.canvas.brush import BrushSettings, Stroke, fill_region, paint_region
from desktop_app.canvas.commands import (
    AddLayer,
    MoveLayer,
    PixelEdit,
    RemoveLayer,
    ReplaceLayers,
    SetLayerProperty,
    UndoMemory,
)
from desktop_app.canvas.document import MASK_ALPHA, MASK_RGB, CanvasLayer, Document
from desktop_app.canvas.input_events import CanvasInput, Tool
from desktop_app.canvas.placement import place_result, result_layer_index
from desktop_app.canvas.preview import CanvasPreview
from desktop_app.canvas.tiles import TileBackup
from desktop_app.canvas.viewport import Viewport
from desktop_app.image_loading import decode_off_gui_thread
from genart_core.api import GenArtError, GenerationInfo
from genart_core.artwork import read_generation_info
from genart_core.imaging import load_image, to_rgb
from genart_core.layers import rgba
from genart_core.ora import OraDocument, read_ora

log = logging.getLogger(__name__)

UNDO_LIMIT = 200  # steps; UndoMemory bounds their bytes


class Canvas(CanvasInput):
    """Zoom with the wheel, pan with the middle button or space + drag; drop images to open them."""

    image_changed = Signal()  # after every edit, undo, redo and load (not during a stroke)
    stroke_moved = Signal()  # a brush or eraser stroke changed a layer and is still going on
    load_failed = Signal(str)  # a message for a person
    tool_changed = Signal(str)
    colour_picked = Signal(QColor)  # by the eyedropper
    selection_changed = Signal()
    parameters_found = Signal(object)  # GenerationInfo read from an opened or dropped file
    notice = Signal(str)  # something a person should know about their last action (status bar)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)  # for the brush outline
        self.setMinimumSize(320, 240)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.undo_stack.indexChanged.connect(self._on_undo_index)
        self.undo_memory = UndoMemory()
        weakref.finalize(self, self.undo_memory.close)
        self.document = Document(self)
        self.document.changed.connect(self._on_pixels_changed)
        self.document.mask_changed.connect(self.update)
        self.document_path: Path | None = None  # the file Save writes to
        self.brush = BrushSettings()
        self.fill_tolerance = 24
        self._tool = Tool.BRUSH
        self._stroke: Stroke | None = None
        self._stroke_target: CanvasLayer | None = None  # None while painting the mask
        self._tablet_pressure: float | None = None
        self._selection: QRect | None = None
        self._select_anchor: QPointF | None = None
        self._view = Viewport()
        self._pan_anchor: QPointF | None = None
        self._space_held = False
        self._fit_pending = True
        self._hover: QPointF | None = None
        self._preview = CanvasPreview()

    # -- document ---------------------------------------------------------------------------
    @property
    def has_image(self) -> bool:
        return not self.document.is_empty

    @property
    def generation_info(self) -> GenerationInfo | None:
        """How the picture was made: the info of the topmost visible layer that has one."""
        for layer in reversed(self.document.layers):
            if layer.visible and layer.info is not None:
                return layer.info
        return None

    @property
    def is_modified(self) -> bool:
        return self.has_image and not self.undo_stack.isClean()

    def image_array(self) -> np.ndarray:
        """The flattened picture, uint8 H×W×3 (what export writes)."""
        return self.document.flatten()

    def qimage(self) -> QImage:
        return self.document.composite

    def set_image(self, array: np.ndarray, text: str = "Replace image", info: GenerationInfo | None = None) -> None:
        """Start a new document from ``array``: the image plus an empty paint layer over it (undoable)."""
        height, width = array.shape[:2]
        layers = [
            CanvasLayer.from_image(rgba(array) if array.ndim == 2 else array, "Image", "image", info),
            CanvasLayer("Paint", px.blank(width, height), "paint"),
        ]
        self._replace_layers(layers, text)

    def load_document(self, document: OraDocument, text: str = "Open document") -> None:
        """Show a layered document (from an .ora file or an autosave), undoably."""
        layers = [CanvasLayer.from_core(layer, document.width, document.height) for layer in document.layers]
        self._replace_layers(layers, text)

    def enlarge(self, layers: list[CanvasLayer], text: str) -> None:
        """Replace the stack with ``layers`` at a new size (Image ▸ Upscale; see canvas/enlarge.py), undoably."""
        self._replace_layers(layers, text)

    def _replace_layers(self, layers: list[CanvasLayer], text: str) -> None:
        size = layers[0].pixels.shape[:2]
        self._fit_pending = not self.has_image or (self.document.height, self.document.width) != size
        self.clear_selection()
        self.undo_stack.push(ReplaceLayers(self.document, layers, self.undo_memory, text, self._after_replace))
        # The paint layer is where brushes go first.
        paint = next((layer for layer in reversed(layers) if layer.kind == "paint"), None)
        if paint is not None:
            self.document.set_active(paint)

    def _after_replace(self) -> None:
        if self._fit_pending:
            self.zoom_to_fit()
            self._fit_pending = False
        self.update()

    def core_layers(self):
        """The layers as genart_core Layers (straight RGBA), for saving."""
        return self.document.core_layers()

    def selection_rect(self) -> tuple[int, int, int, int] | None:
        """The selected region as (x, y, width, height) in image pixels, or None for everything."""
        if self._selection is None:
            return None
        rect = self._selection
        return rect.x(), rect.y(), rect.width(), rect.height()

    def set_selection(self, rect: tuple[int, int, int, int] | None) -> None:
        clipped = QRect(*rect).intersected(self.document.rect) if rect is not None else None
        self._selection = clipped if clipped is not None and not clipped.isEmpty() else None
        self.selection_changed.emit()
        self.update()

    def clear_selection(self) -> None:
        if self._selection is not None:
            self.set_selection(None)

    def select_all(self) -> None:
        if self.has_image:
            self.set_selection((0, 0, self.document.width, self.document.height))

    def inpaint_mask(self) -> np.ndarray | None:
        """H×W uint8, 255 where the user painted the inpainting mask; None when nothing is masked."""
        return self.document.mask_array()

    def clear_mask(self) -> None:
        self.document.clear_mask()

    def add_result(
        self,
        array: np.ndarray,
        info: GenerationInfo | None,
        name: str,
        region: tuple[int, int, int, int] | None = None,
        made_from_canvas: bool = True,
    ) -> None:
        """Put an AI result on the canvas as a new layer (undoable), blended softly into ``region`` if given.

        Its place in the stack: ``result_layer_index``. A result that lands under the paint layer
        the brush is on leaves the brush there; otherwise the result takes the brush. With no document yet, or a result whose shape does not match the document, the result
        starts a new document instead.
        """
        if not self.has_image or (region is None and not _same_aspect(array, self.document.width, self.document.height)):
            self.set_image(to_rgb(array), name, info)
            return
        pixels = place_result(to_rgb(array), self.document.width, self.document.height, region)
        layers, active = self.document.layers, self.document.active
        index = result_layer_index([layer.kind for layer in layers], made_from_canvas)
        keep_brush = active is not None and active.kind == "paint" and layers.index(active) >= index
        layer = CanvasLayer(name, pixels, "result", info=info)
        self.undo_stack.push(AddLayer(self.document, layer, index, self.undo_memory, f"Add {name}", activate=not keep_brush))
        self.clear_mask()  # the mask was for this job

    def open_file(self, source: str | Path | bytes) -> bool:
        """Load an image file, an .ora document or encoded bytes. On failure emit load_failed and keep
        the canvas as it was. Generation parameters found in the file are announced by parameters_found."""
        info = None
        try:
            if not isinstance(source, bytes) and Path(source).suffix.lower() == ".ora":
                self.load_document(decode_off_gui_thread(self, read_ora, source), f"Open {Path(source).name}")
                info = self.generation_info
            else:
                array = decode_off_gui_thread(self, load_image, source)
                info = _read_info(source)
                name = "dropped image" if isinstance(source, bytes) else Path(source).name
                self.set_image(array, f"Open {name}", info)
        except GenArtError as exc:
            self.load_failed.emit(str(exc))
            return False
        except MemoryError:
            self.load_failed.emit("There is not enough memory to open this image. Close other documents or apps and try again.")
            return False
        self.document_path = None if isinstance(source, bytes) else Path(source)
        self.undo_stack.setClean()  # as it is on disk
        if info is not None:
            self.parameters_found.emit(info)
        return True

    def set_preview(self, preview: QImage | None, lets_paint: bool = False, made_at: int | None = None) -> None:
        """Show a job's preview stretched over the document (or the view); None clears it.
        ``lets_paint``: strokes still go to the layers under it (Live instant style restyles them),
        and show over it until a preview made from them arrives; ``made_at``: the paint_serial of
        the picture this preview was made from (None: every stroke so far)."""
        self._preview.show(preview, lets_paint, made_at)
        self.update()

    @property
    def paint_serial(self) -> int:
        """Counts the changes to the document's pixels (see set_preview's ``made_at``)."""
        return self._preview.serial

    @property
    def has_preview(self) -> bool:
        return self._preview.shown

    # -- layers -------------------------------------------------------------------------------
    def add_layer(self, layer: CanvasLayer, text: str, index: int | None = None) -> None:
        """Add ``layer`` at ``index`` (default: on top), undoably as ``text``."""
        index = len(self.document.layers) if index is None else index
        self.undo_stack.push(AddLayer(self.document, layer, index, self.undo_memory, text))

    def add_paint_layer(self, name: str = "Paint") -> None:
        if self.has_image:
            layer = CanvasLayer(name, px.blank(self.document.width, self.document.height), "paint")
            index = self.document.layers.index(self.document.active) + 1 if self.document.active else None
            self.add_layer(layer, f"Add layer {name}", index)

    def remove_layer(self, layer: CanvasLayer) -> None:
        if len(self.document.layers) > 1:
            self.undo_stack.push(RemoveLayer(self.document, layer, self.undo_memory))

    def move_layer(self, layer: CanvasLayer, index: int) -> None:
        index = max(0, min(index, len(self.document.layers) - 1))
        if self.document.layers.index(layer) != index:
            self.undo_stack.push(MoveLayer(self.document, layer, index))

    def set_layer_property(self, layer: CanvasLayer, name: str, value) -> None:
        if getattr(layer, name) != value:
            self.undo_stack.push(SetLayerProperty(self.document, layer, name, value))

    def flatten(self) -> None:
        """Merge all visible layers into one image layer (undoable)."""
        if len(self.document.layers) > 1:
            info = self.generation_info
            flat = CanvasLayer.from_image(self.image_array(), "Image", "image", info)
            paint = CanvasLayer("Paint", px.blank(self.document.width, self.document.height), "paint")
            self._replace_layers([flat, paint], "Flatten")

    # -- tools --------------------------------------------------------------------------------
    @property
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool: Tool | str) -> None:
        tool = Tool(tool)
        if tool is not self._tool:
            self._tool = tool
            self.setCursor(Qt.CursorShape.CrossCursor if tool in (Tool.SELECT, Tool.EYEDROPPER, Tool.FILL) else Qt.CursorShape.ArrowCursor)
            self.tool_changed.emit(tool.value)
            self.update()

    def _clip_box(self) -> tuple[int, int, int, int]:
        rect = self._selection if self._selection is not None else self.document.rect
        return rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1

    def begin_stroke(self, point: QPointF, pressure: float = 1.0, erase_mask: bool = False) -> bool:
        """Start a brush, eraser or mask stroke at an image point (also used by tests and benchmarks)."""
        if self._tool is Tool.MASK:
            target_pixels = self.document.ensure_mask()
            colour = px.premultiplied_colour(MASK_RGB, MASK_ALPHA)
            settings = BrushSettings(self.brush.size, max(self.brush.hardness, 0.8), 1.0, MASK_RGB)
            clip = (0, 0, self.document.width, self.document.height)
            self._stroke_target = None
            self._stroke = Stroke(target_pixels, colour, settings, erase_mask, clip)
        else:
            layer = self.document.active
            if layer is None:
                return False
            self._show_target(layer)
            colour = px.premultiplied_colour(self.brush.colour)
            self._stroke_target = layer
            self._stroke = Stroke(layer.pixels, colour, self.brush, self._tool is Tool.ERASER, self._clip_box())
        self.continue_stroke(point, pressure)
        return True

    def continue_stroke(self, point: QPointF, pressure: float = 1.0) -> None:
        if self._stroke is None:
            return
        box = self._stroke.move_to(point.x(), point.y(), pressure)
        if box is None:
            return
        rect = QRect(box[0], box[1], box[2] - box[0], box[3] - box[1])
        if self._stroke_target is None:
            self.update(self._widget_rect(rect))
        else:
            self.document.refresh(rect)
            self.stroke_moved.emit()

    def end_stroke(self) -> None:
        stroke, layer = self._stroke, self._stroke_target
        self._stroke = self._stroke_target = None
        if stroke is None:
            return
        changes = stroke.backup.changes()
        if not changes:
            return
        if layer is None:
            text = "Mask" if not stroke.erase else "Erase mask"
            command = PixelEdit(self.document, self.document.ensure_mask, changes, self.undo_memory, text, self.document.mask_changed.emit)
            self.document.mask_changed.emit()
        else:
            text = f"{'Erase' if stroke.erase else 'Brush'} on {layer.name}"
            command = PixelEdit(self.document, lambda: layer.pixels, changes, self.undo_memory, text)
        self.undo_stack.push(command)

    def fill_at(self, x: int, y: int) -> bool:
        """Flood-fill the area of similar colour around (x, y) on the active layer, inside the selection."""
        layer = self.document.active
        if layer is None:
            return False
        self._show_target(layer)
        region = fill_region(self.image_array(), x, y, self.fill_tolerance, self._clip_box())
        if region is None:
            return False
        backup = TileBackup(layer.pixels)
        box = paint_region(backup, region, px.premultiplied_colour(self.brush.colour), self.brush.opacity)
        changes = backup.changes()
        if box is None or not changes:
            return False
        self.document.refresh(QRect(box[0], box[1], box[2] - box[0], box[3] - box[1]))
        self.undo_stack.push(PixelEdit(self.document, lambda: layer.pixels, changes, self.undo_memory, f"Fill on {layer.name}"))
        return True

    def _show_target(self, layer: CanvasLayer) -> None:
        """Painting on a hidden layer would change nothing you can see: show it (an undoable step of its own) and say so."""
        if not layer.visible:
            self.set_layer_property(layer, "visible", True)
            self.notice.emit(f"“{layer.name}” was hidden; it is shown again so you can see what you paint on it (Undo hides it).")
        elif layer.opacity == 0:
            self.notice.emit(f"“{layer.name}” has 0 % opacity: raise it in the Layers panel to see what you paint on it.")

    def pick_colour(self, x: int, y: int) -> QColor | None:
        colour = self.document.sample(QRect(x, y, 1, 1).topLeft())
        if colour is not None:
            self.brush.colour = (colour.red(), colour.green(), colour.blue())
            self.colour_picked.emit(colour)
        return colour

    # -- view -------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self._view.zoom

    def zoom_to_fit(self) -> None:
        if self.has_image:
            self._view.fit(self.size().toSizeF(), self._image_size())
            self.update()

    def zoom_actual_size(self) -> None:
        self._view.set_zoom(1.0)
        self._view.center(self.size().toSizeF(), self._image_size())
        self.update()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self._view.zoom_about(factor, anchor or QPointF(self.width() / 2, self.height() / 2))
        self.update()

    def pan_by(self, dx: float, dy: float) -> None:
        self._view.pan(dx, dy)
        self.update()

    def _image_size(self) -> QSizeF:
        return QSizeF(self.document.width, self.document.height)

    def image_rect(self) -> QRectF:
        """Where the image is drawn, in widget coordinates."""
        return self._view.to_widget(QRectF(QPointF(0, 0), self._image_size()))

    def image_point(self, widget_point: QPointF) -> QPointF:
        return self._view.to_image(widget_point)

    def _widget_rect(self, image_rect: QRect) -> QRect:
        return self._view.to_widget(image_rect).toAlignedRect().adjusted(-2, -2, 2, 2)

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(event.rect(), QColor(48, 48, 52))
        if self._preview.shown:
            self._preview.paint(painter, self.image_rect() if self.has_image else None, QSizeF(self.size()), self.document)
            if self._preview.lets_paint:
                self._paint_overlays(painter)  # the brush outline over Live's picture
            return
        if not self.has_image:
            painter.setPen(QColor(170, 170, 176))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Drop an image here, or press Ctrl+O to open one")
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._view.zoom < 1.0)
        # Draw only the exposed part: at high zoom on a big image this keeps repaints cheap.
        target = self.image_rect().intersected(QRectF(event.rect()))
        if target.isEmpty():
            return
        source = self._view.source_rect(target)
        painter.drawImage(target, self.document.composite, source)
        if not self.document.mask_image.isNull():
            painter.drawImage(target, self.document.mask_image, source)
        self._paint_overlays(painter)

    def _paint_overlays(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self._selection is not None:
            rect = self._view.to_widget(self._selection)
            painter.setPen(QPen(QColor(255, 255, 255), 1))
            painter.drawRect(rect)
            painter.setPen(QPen(QColor(0, 0, 0), 1, Qt.PenStyle.DashLine))
            painter.drawRect(rect)
        if self._hover is not None and self._tool in (Tool.BRUSH, Tool.ERASER, Tool.MASK):
            radius = max(1.0, self.brush.size / 2 * self._view.zoom)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(QColor(255, 255, 255, 200), 1))
            painter.drawEllipse(self._hover, radius, radius)
            painter.setPen(QPen(QColor(0, 0, 0, 160), 1))
            painter.drawEllipse(self._hover, radius + 1, radius + 1)

    def _on_pixels_changed(self, rect: QRect) -> None:
        self._preview.note_change(rect, self._stroke.coverage if self._stroke is not None else None)
        self.update(self._widget_rect(rect))

    def _on_undo_index(self, _index: int) -> None:
        self.image_changed.emit()


def _same_aspect(array: np.ndarray, width: int, height: int) -> bool:
    """Whether a result can be scaled onto the document without visible distortion (within 2 %)."""
    result_height, result_width = array.shape[:2]
    return abs(result_width / result_height - width / height) <= 0.02 * (width / height)


def _read_info(source: str | Path | bytes) -> GenerationInfo | None:
    """Generation parameters stored in an image file (ours or another Stable Diffusion tool's)."""
    try:
        return read_generation_info(io.BytesIO(source) if isinstance(source, bytes) else source)  # type: ignore[arg-type]
    except (OSError, ValueError, SyntaxError) as exc:
        log.info("No readable generation parameters: %s", exc)
        return None


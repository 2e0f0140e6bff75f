"""The instant-style controls: strength, colours, Live, Apply, Refine, Learn this style, Discard.

Widgets only; desktop_app/instant_style.py turns their values into requests and runs them. The
styles and their mix (the blend slider, the weights) are the Style Transfer panel's.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.widget_values import set_number
from genart_core.requests.fast_style import FastStyleRequest, LearnStyleRequest, RefineRequest
from genart_core.requests.style import ColorMode

STRENGTH_SCALE = 100  # the slider's integer steps per unit of strength
APPLY_KEYS = "Ctrl+Shift+Return"
LIVE_KEYS = "Ctrl+L"
REFINE_KEYS = "Ctrl+Shift+R"


class InstantStylePanel(QGroupBox):
    """Every change of a value that shapes the picture emits ``changed``; the buttons emit their own signals."""

    changed = Signal()
    apply_requested = Signal()
    refine_requested = Signal()
    learn_requested = Signal()
    discard_requested = Signal()
    live_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Instant style", parent)
        self.setToolTip("Click a style in the gallery: the canvas is repainted at once (a preview until you Apply it)")
        self.enabled = QCheckBox("Preview when a style is clicked")
        self.enabled.setChecked(True)
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 2 * STRENGTH_SCALE)
        self.strength.setValue(STRENGTH_SCALE)
        self.strength.setToolTip("0 keeps the photo's own look, 1 the style's, 2 exaggerates it")
        self.strength_label = QLabel()
        self.keep_colours = QCheckBox("Keep photo colours")
        self.keep_colours.setToolTip("The style's brushwork and brightness, the photo's colours")
        side = FastStyleRequest.network_side
        # In between for large canvases: half the stroke size of the default, crisper, still enlarged.
        finer = 2 * side
        self.strokes = QComboBox()
        self.strokes.addItem(f"as at {side} px", side)
        self.strokes.addItem(f"as at {finer} px", finer)
        self.strokes.addItem("fine", 0)
        self.strokes.setToolTip(
            f"The network's strokes have a fixed size in pixels. On a picture larger than {side} px, “as at {side} px” paints it at "
            f"{side} px and enlarges it with the photo's detail, so the strokes keep their size relative to the picture, as Balanced's do "
            f"and as learned styles were learned; “as at {finer} px” paints at up to {finer} px: strokes half as large, crisper; "
            "“fine” paints at the picture's own size: the smallest strokes."
        )
        self.iterations = QSpinBox()
        self.iterations.setRange(1, 500)
        self.iterations.setValue(RefineRequest.iterations)
        self.iterations.setToolTip("Steps of the full style transfer that Refine runs from the instant result")
        self.learn_steps = QSpinBox()
        self.learn_steps.setRange(5, 1000)
        self.learn_steps.setValue(LearnStyleRequest.steps)
        self.learn_steps.setToolTip(f"Steps Learn this style tunes the style for (the default, {LearnStyleRequest.steps}, takes about a minute on a quiet 2-core CPU)")
        self.learn_for = QComboBox()
        self.learn_for.addItem("this picture and others", LearnStyleRequest.canvas_share)
        self.learn_for.addItem("this picture only", 1.0)
        self.learn_for.setToolTip(
            f"“this picture and others”: {LearnStyleRequest.canvas_share:.0%} of the steps train on the picture on the canvas, the rest on "
            "sample photos, so the learned style also suits other pictures. “this picture only”: every step trains on the canvas; "
            "the style fits it closer and other pictures less well"
        )

        self.live = QPushButton("Live")
        self.live.setCheckable(True)
        self.live.setShortcut(QKeySequence(LIVE_KEYS))
        self.live.setToolTip(f"Live ({LIVE_KEYS}): paint on the canvas and the instant style follows your strokes")
        self.apply = QPushButton("Apply")
        self.apply.setShortcut(QKeySequence(APPLY_KEYS))
        self.apply.setToolTip(f"Keep the instant style as a layer, at the photo's full size ({APPLY_KEYS}; undoable)")
        self.refine = QPushButton("Refine")
        self.refine.setShortcut(QKeySequence(REFINE_KEYS))
        self.refine.setToolTip(f"Run the full style transfer starting from the instant result ({REFINE_KEYS})")
        self.learn = QPushButton("Learn this style")
        self.learn.setToolTip(f"Tune the instant network to the selected painting for the picture on the canvas ({LearnStyleRequest.canvas_share:.0%} "
                              f"of the steps train on it, at its size up to {LearnStyleRequest.train_size} px) and a few sample photos, about a minute; "
                              "the style then applies instantly")
        self.discard = QPushButton("Discard")
        self.discard.setToolTip("Hide the instant preview")

        strength_row = QHBoxLayout()
        strength_row.addWidget(self.strength, 1)
        strength_row.addWidget(self.strength_label)
        form = QFormLayout()
        form.addRow(self.enabled)
        form.addRow("Strength", strength_row)
        # One row for both keeps the dock short enough that Stylise shows without scrolling.
        colours_row = QHBoxLayout()
        colours_row.addWidget(self.keep_colours)
        colours_row.addStretch(1)
        colours_row.addWidget(QLabel("Strokes"))
        colours_row.addWidget(self.strokes)
        form.addRow(colours_row)
        form.addRow("Refine steps", self.iterations)
        learning_row = QHBoxLayout()
        learning_row.addWidget(self.learn_steps)
        learning_row.addWidget(QLabel("for"))
        learning_row.addWidget(self.learn_for, 1)
        form.addRow("Learning steps", learning_row)
        buttons = QGridLayout()
        buttons.addWidget(self.live, 0, 0)
        buttons.addWidget(self.apply, 0, 1)
        buttons.addWidget(self.discard, 0, 2)
        buttons.addWidget(self.refine, 1, 0)
        buttons.addWidget(self.learn, 1, 1, 1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)

        self.strength.valueChanged.connect(self._strength_moved)
        self.keep_colours.toggled.connect(self.changed)
        self.strokes.currentIndexChanged.connect(self.changed)
        self.live.toggled.connect(self.live_toggled)
        self.apply.clicked.connect(self.apply_requested)
        self.refine.clicked.connect(self.refine_requested)
        self.learn.clicked.connect(self.learn_requested)
        self.discard.clicked.connect(self.discard_requested)
        self._strength_moved(self.strength.value())

    @Slot(int)
    def _strength_moved(self, value: int) -> None:
        self.strength_label.setText(f"{value / STRENGTH_SCALE:.2f}")
        self.changed.emit()

    def strength_value(self) -> float:
        return self.strength.value() / STRENGTH_SCALE

    def colour_mode(self) -> ColorMode:
        return ColorMode.LUMINANCE if self.keep_colours.isChecked() else ColorMode.NONE

    def learning_canvas_share(self) -> float:
        """The share of Learn this style's steps that train on the canvas."""
        return float(self.learn_for.currentData())

    def network_side(self) -> int | None:
        """The request's network side: None paints at the picture's own size."""
        return int(self.strokes.currentData()) or None

    def set_network_side(self, side: int | None) -> None:
        """Choose the stroke size a request was made with; a side the list lacks (from the CLI) joins it."""
        index = self.strokes.findData(side or 0)
        if index < 0:
            self.strokes.addItem(f"as at {side} px", side)
            index = self.strokes.count() - 1
        self.strokes.setCurrentIndex(index)

    def apply_request_values(self, request: FastStyleRequest) -> None:
        """Strength, colours and stroke size from a stored instant request (read back and checked by
        FastStyleRequest.from_dict)."""
        set_number(self.strength, request.strength, scale=STRENGTH_SCALE)
        self.keep_colours.setChecked(request.preserve_colors in (ColorMode.LUMINANCE, ColorMode.MATCH))
        self.set_network_side(request.network_side)


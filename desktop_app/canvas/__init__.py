"""The painting surface and its parts.

widget.py     Canvas: input, tools, painting, public API used by the rest of the app
viewport.py   zoom and pan: widget <-> image coordinates
document.py   layers, their cached composite, the inpainting mask
brush.py      dabs, strokes and flood fill on premultiplied pixels
commands.py   undo commands and the memory budget of the undo history
tiles.py      tile snapshots that undo records are made of
placement.py  the selection's pixels for a job, and its result scaled back in with a feathered edge
preview.py    a job's preview over the document, and Live's strokes drawn over it
pixels.py     numpy <-> QImage sharing for layer pixels
mime.py       images from drops and the clipboard
"""

from desktop_app.canvas.mime import image_source_from_mime
from desktop_app.canvas.widget import Canvas, Tool

__all__ = ["Canvas", "Tool", "image_source_from_mime"]

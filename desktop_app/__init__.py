"""GenArt Studio's PySide6 desktop application. Holds no model code: it drives genart_core."""

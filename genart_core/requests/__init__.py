"""Request dataclasses, one module per task family. Importing them never imports torch."""

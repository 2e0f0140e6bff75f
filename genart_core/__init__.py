"""GenArt Studio core: pipelines, models, images and artworks. Imports no Qt, ever."""

__version__ = "0.1.0"

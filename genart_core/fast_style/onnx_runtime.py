"""The instant path on onnxruntime: float graphs derived from the shipped files, run at any size.

Deriving a float graph needs the ``onnx`` package (about two seconds to import and convert), so the
derived graphs are cached (derived_files); the next start reads them with onnxruntime alone (a
fraction of a second). A cached graph that onnxruntime cannot read is derived again.

The transformer's graph also gives its normalisation statistics, and a twin graph takes them back
(statistics_graph): Live mode's crop updates (live_update).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from genart_core.fast_style import derived_files, network_files, transformer_weights
from genart_core.fast_style.learned_styles import NORM_CHANNELS
from genart_core.fast_style.network_files import CONTENT_INPUT, NetworkFile
from genart_core.fast_style.pictures import from_nhwc, to_nhwc

if TYPE_CHECKING:
    import onnxruntime

log = logging.getLogger(__name__)

# Bump when to_float_graph changes, so old cached graphs are derived again.
DERIVATION_VERSION = 6
STYLE_INPUT = "mobilenet_conv/Conv/BiasAdd"
STYLE_IMAGE_INPUT = "style_image"
STYLE_SIZE = 100
SIZE_MULTIPLE = 4  # the transformer halves the size twice


def _cache_name(network: NetworkFile) -> str:
    return derived_files.name_for(network, "float", DERIVATION_VERSION, ".onnx")


def _replaying_cache_name() -> str:
    return derived_files.name_for(network_files.TRANSFORMER, "replaying", DERIVATION_VERSION, ".onnx")


def derive_float_graph(network: NetworkFile) -> bytes:
    """The float graph's bytes, derived from the checked shipped file."""
    from genart_core.fast_style.fast_graph import faster_graph
    from genart_core.fast_style.float_graph import to_float_graph, with_norm_offset_inputs
    from genart_core.fast_style.statistics_graph import replaying_statistics, with_statistics_outputs

    if network is not network_files.TRANSFORMER:
        return to_float_graph(network_files.load_model(network)).SerializeToString()
    graph = to_float_graph(network_files.load_model(network), CONTENT_INPUT)
    # onnx is loaded now: derive our torch module's weights and the replaying twin too.
    transformer_weights.weights_bytes(graph)
    graph = with_statistics_outputs(faster_graph(with_norm_offset_inputs(graph, NORM_CHANNELS)))
    derived_files.cached_or_derived(_replaying_cache_name(), lambda: replaying_statistics(graph).SerializeToString())
    return graph.SerializeToString()


def replaying_graph_bytes() -> bytes:
    """The transformer graph that takes its normalisation statistics as inputs (cached)."""

    def derive() -> bytes:
        import onnx

        from genart_core.fast_style.statistics_graph import replaying_statistics

        return replaying_statistics(onnx.load_from_string(float_graph_bytes(network_files.TRANSFORMER))).SerializeToString()

    return derived_files.cached_or_derived(_replaying_cache_name(), derive)


def float_graph_bytes(network: NetworkFile) -> bytes:
    """The cached float graph if it is intact, else a freshly derived one (then cached)."""
    return derived_files.cached_or_derived(_cache_name(network), lambda: derive_float_graph(network))


def session(model_bytes: bytes, threads: int | None) -> "onnxruntime.InferenceSession":
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # onnxruntime's pool threads spin between operators by default, keeping every core busy for the
    # whole run. On a small CPU that is the GUI thread's core too (Live mode paints while the network
    # runs), and a busy machine lent less to the spinning threads: without spinning a 512² run took
    # 0.71× the time and 0.71× the CPU of a spinning one here, under load (bench/fast_style_graphs.py).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def _checked_session(name: str, graph_bytes, threads: int | None) -> "onnxruntime.InferenceSession":
    """A session on the cached graph ``name`` (``graph_bytes()`` reads or derives it)."""
    try:
        return session(graph_bytes(), threads)
    except network_files.NetworkFileError:
        raise
    except Exception as exc:  # a damaged cache file onnxruntime cannot read: derive again
        log.warning("Could not open the cached graph %s (%s); deriving it again", name, exc)
        derived_files.forget(name)
        return session(graph_bytes(), threads)


def _network_session(network: NetworkFile, threads: int | None) -> "onnxruntime.InferenceSession":
    return _checked_session(_cache_name(network), lambda: float_graph_bytes(network), threads)


class OnnxStyleNetworks:
    """Style predictor and transformer as onnxruntime sessions (CPU)."""

    name = "onnxruntime"

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._predictor = _network_session(network_files.PREDICTOR, threads)
        self._transformer = _network_session(network_files.TRANSFORMER, threads)
        outputs = [output.name for output in self._transformer.get_outputs()]
        self._picture_output, self._statistics_outputs = outputs[0], outputs[1:]
        self._replaying: "onnxruntime.InferenceSession | None" = None  # made at the first replay

    def predict(self, style_square: np.ndarray) -> np.ndarray:
        """uint8 256×256×3 -> the 100-number style vector (float32)."""
        output = self._predictor.run(None, {STYLE_IMAGE_INPUT: to_nhwc(style_square)})[0]
        return output.reshape(STYLE_SIZE).astype(np.float32)

    def stylize(self, content: np.ndarray, style_vector: np.ndarray, norm_offsets: dict[str, np.ndarray] | None = None,
                statistics: list | None = None) -> np.ndarray:
        """uint8 H×W×3 and a style vector (and a learned style's γ/β offsets) -> uint8 H×W×3
        (sizes not a multiple of 4 are padded by reflection, then cropped). With ``statistics``
        (from stylize_recording), normalised by those instead of its own."""
        feeds = self._feeds(content, style_vector, norm_offsets)
        if statistics is None:
            picture = self._transformer.run([self._picture_output], feeds)[0]
        else:
            if self._replaying is None:
                self._replaying = _checked_session(_replaying_cache_name(), replaying_graph_bytes, self._threads)
            feeds.update(zip(self._statistics_outputs, (values for pair in statistics for values in pair)))
            picture = self._replaying.run(None, feeds)[0]
        return self._picture(picture, content)

    def stylize_recording(self, content: np.ndarray, style_vector: np.ndarray,
                          norm_offsets: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, list]:
        """The stylised picture and its normalisation statistics: [(mean, variance)] per norm."""
        picture, *measured = self._transformer.run(None, self._feeds(content, style_vector, norm_offsets))
        return self._picture(picture, content), list(zip(measured[::2], measured[1::2]))

    @staticmethod
    def _feeds(content: np.ndarray, style_vector: np.ndarray, norm_offsets: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
        height, width = content.shape[:2]
        padded = np.pad(content, ((0, -height % SIZE_MULTIPLE), (0, -width % SIZE_MULTIPLE), (0, 0)), mode="reflect")
        feeds = {CONTENT_INPUT: to_nhwc(padded), STYLE_INPUT: style_vector.reshape(1, 1, 1, STYLE_SIZE).astype(np.float32)}
        feeds.update(norm_offset_feeds(norm_offsets or {}))
        return feeds

    @staticmethod
    def _picture(batch: np.ndarray, content: np.ndarray) -> np.ndarray:
        height, width = content.shape[:2]
        return from_nhwc(batch)[:height, :width]


def norm_offset_feeds(norm_offsets: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The transformer graph's γ/β offset inputs: the given offsets, zeros (the shipped network) for the rest."""
    from genart_core.fast_style.float_graph import NORM_OFFSET_INPUT

    return {
        NORM_OFFSET_INPUT + name: np.asarray(norm_offsets.get(name, np.zeros(channels)), np.float32).reshape(1, channels, 1, 1)
        for name, channels in NORM_CHANNELS.items()
    }

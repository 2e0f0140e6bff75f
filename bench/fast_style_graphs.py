"""The instant transformer on onnxruntime, graph by graph, side by side in one run.

Each variant runs the same picture and style vector with the same threads; their runs are
interleaved (variant A, B, C, … then again), so a machine that gets busier or quieter during the
run affects them alike. Prints, per size, the median and fastest seconds of each variant and its
ratio to the shipped graph, and each variant's largest difference from the shipped picture.

* issue recipe: the shipped int8 file with its activation QuantizeLinear -> DequantizeLinear pairs
  bypassed and the content's height and width symbolic; weights stay int8 + DequantizeLinear
  (how issue #12 measured 0.054 s at 512²);
* float graph (before): our derived graph before the speed rewrites (float weights; what
  DERIVATION_VERSION 2 cached);
* shipped: what the app runs (genart_core/fast_style/fast_graph.py's rewrites);
* shipped, spinning: the same with onnxruntime's default spinning pool threads.
The first three run as the app's sessions do (onnx_runtime.session: no spinning).
The picture conversions (uint8 <-> float) are not included: graphs alone.

    PYTHONPATH=. python bench/fast_style_graphs.py [--sizes 512 1024] [--repeats 9] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import onnxruntime

from genart_core.fast_style import network_files
from genart_core.fast_style.content_photos import shipped_photo
from genart_core.fast_style.float_graph import to_float_graph, with_norm_offset_inputs, with_symbolic_hw
from genart_core.fast_style.learned_styles import NORM_CHANNELS
from genart_core.fast_style.onnx_runtime import CONTENT_INPUT, STYLE_INPUT, OnnxStyleNetworks, float_graph_bytes, norm_offset_feeds, session
from genart_core.fast_style.pictures import style_square, to_nhwc
from genart_core.imaging import resize
from genart_core.styles import find_style


def issue_recipe() -> bytes:
    """The int8 file with its activations' Q -> DQ pairs made pass-throughs and H, W symbolic."""
    from onnx import helper

    model = network_files.load_model(network_files.TRANSFORMER)
    graph = model.graph
    weights = {tensor.name for tensor in graph.initializer}
    nodes = [
        helper.make_node("Identity", [node.input[0]], [node.output[0]], name=node.name)
        if node.op_type == "QuantizeLinear" or (node.op_type == "DequantizeLinear" and node.input[0] not in weights)
        else node
        for node in graph.node
    ]
    inputs = [with_symbolic_hw(value) if value.name == CONTENT_INPUT else value for value in graph.input]
    outputs = [with_symbolic_hw(value) for value in graph.output]
    recipe = helper.make_model(helper.make_graph(nodes, "recipe", inputs, outputs, list(graph.initializer)), opset_imports=list(model.opset_import))
    recipe.ir_version = model.ir_version
    return recipe.SerializeToString()


def spinning_session(model_bytes: bytes, threads: int) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[512, 1024])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} CPUs; onnxruntime {onnxruntime.__version__}, {args.threads} threads")
    plain = with_norm_offset_inputs(to_float_graph(network_files.load_model(network_files.TRANSFORMER), CONTENT_INPUT), NORM_CHANNELS)
    shipped = float_graph_bytes(network_files.TRANSFORMER)
    sessions = {
        "issue recipe": (session(issue_recipe(), args.threads), False),
        "float graph (before)": (session(plain.SerializeToString(), args.threads), True),
        "shipped": (session(shipped, args.threads), True),
        "shipped, spinning": (spinning_session(shipped, args.threads), True),
    }
    vector = OnnxStyleNetworks(args.threads).predict(style_square(find_style("mosaic").path))
    for size in args.sizes:
        content = to_nhwc(resize(shipped_photo("skimage:astronaut"), size, size))
        feeds = {CONTENT_INPUT: content, STYLE_INPUT: vector.reshape(1, 1, 1, 100)}
        offset_feeds = {**feeds, **norm_offset_feeds({})}

        def run(name: str) -> np.ndarray:
            graph, takes_offsets = sessions[name]
            return graph.run(None, offset_feeds if takes_offsets else feeds)[0]

        reference = run("shipped")
        differences = {name: float(np.abs(run(name) - reference).max()) for name in sessions}  # also the warm-up
        seconds: dict[str, list[float]] = {name: [] for name in sessions}
        for _ in range(args.repeats):
            for name in sessions:
                started = time.perf_counter()
                run(name)
                seconds[name].append(time.perf_counter() - started)
        shipped_median = statistics.median(seconds["shipped"])
        print(f"\n{size}², {args.repeats} interleaved runs each:")
        print(f"{'graph':<22} {'median s':>9} {'fastest s':>10} {'÷ shipped':>10} {'max |Δ| vs shipped':>19}")
        for name, times in seconds.items():
            median = statistics.median(times)
            print(f"{name:<22} {median:>9.3f} {min(times):>10.3f} {median / shipped_median:>10.2f} {differences[name]:>19.1e}")


if __name__ == "__main__":
    main()

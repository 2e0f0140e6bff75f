"""The transformer graph's normalisation statistics as outputs, and a twin graph that takes them as
inputs: onnxruntime's half of Live mode's crop updates (fast_style/live_update.py).

Every instance norm of the graph measures its input with two GlobalAveragePool nodes, the mean
(``…/StyleNorm/moments/mean_prequant``) and the mean squared difference from it
(``…/moments/variance_prequant``). The derived graph gives both as extra outputs, so the pass that
paints the whole picture also records them; the replaying twin has no such nodes: their outputs
are its inputs, and what only fed them (the squared differences) is dropped.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from genart_core.fast_style.network_files import REINSTALL, NetworkFileError

if TYPE_CHECKING:
    import onnx

MEAN_SUFFIX = "/moments/mean_prequant"
VARIANCE_SUFFIX = "/moments/variance_prequant"
NORMS = 13  # five residual blocks of two, three in the expansion


def statistics_names(model: "onnx.ModelProto") -> list[str]:
    """Each norm's mean and variance outputs, in the graph's order: [mean, variance, mean, …]."""
    means = [node.output[0] for node in model.graph.node if node.op_type == "GlobalAveragePool" and node.output[0].endswith(MEAN_SUFFIX)]
    produced = {output for node in model.graph.node for output in node.output}
    names = []
    for mean in means:
        variance = mean.removesuffix(MEAN_SUFFIX) + VARIANCE_SUFFIX
        if variance not in produced:
            break
        names += [mean, variance]
    if len(names) != 2 * NORMS:
        raise NetworkFileError(f"The style transformer graph does not measure its {NORMS} norms as expected; reinstall with: {REINSTALL}")
    return names


def with_statistics_outputs(model: "onnx.ModelProto") -> "onnx.ModelProto":
    """``model`` with every norm's mean and variance as outputs after the picture."""
    from onnx import TensorProto, helper

    for name in statistics_names(model):
        model.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    return model


def replaying_statistics(model: "onnx.ModelProto") -> "onnx.ModelProto":
    """A copy of ``model`` (as with_statistics_outputs made it) that takes the statistics as inputs."""
    from onnx import TensorProto, helper

    names = statistics_names(model)
    replaying = copy.deepcopy(model)
    graph = replaying.graph
    kept = [node for node in graph.node if not (node.op_type == "GlobalAveragePool" and node.output[0] in names)]
    outputs = [value for value in graph.output if value.name not in names]
    # Drop what fed only the removed nodes: walk back from the outputs.
    needed = {value.name for value in outputs}
    live_nodes = []
    for node in reversed(kept):
        if any(output in needed for output in node.output):
            live_nodes.append(node)
            needed.update(node.input)
    del graph.node[:]
    graph.node.extend(reversed(live_nodes))
    del graph.output[:]
    graph.output.extend(outputs)
    graph.input.extend(helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in names)
    used = {name for node in graph.node for name in node.input}
    kept_initializers = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept_initializers)
    return replaying

"""Turns the int8-quantised ONNX graphs into float graphs, and reads the transformer's weights.

The shipped graphs store weights as int8 with per-channel scales (``DequantizeLinear`` on an
initializer) and round every activation to int8 and back (``QuantizeLinear`` → ``DequantizeLinear``).
Here the weights are dequantised once into float initializers and each activation's Q→DQ pair
becomes a pass-through, so the graph computes in float with the int8 weights' values; the
content image's height and width become symbolic, so the graph runs at any size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from genart_core.fast_style.network_files import REINSTALL, NetworkFileError

if TYPE_CHECKING:
    import onnx

_SYMBOLIC_HW = ("height", "width")


def _attribute(node: "onnx.NodeProto", name: str, default: int) -> int:
    for attribute in node.attribute:
        if attribute.name == name:
            return int(attribute.i)
    return default


def dequantise(values: np.ndarray, scale: np.ndarray, zero_point: np.ndarray, axis: int) -> np.ndarray:
    """``(values - zero_point) * scale``, per channel along ``axis`` when the scale is a vector."""
    values = values.astype(np.float64)
    if scale.ndim == 1 and values.ndim > 0:
        shape = [1] * values.ndim
        shape[axis] = -1
        scale, zero_point = scale.reshape(shape), zero_point.reshape(shape)
    return ((values - zero_point.astype(np.float64)) * scale.astype(np.float64)).astype(np.float32)


def to_float_graph(model: "onnx.ModelProto", symbolic_input: str | None = None) -> "onnx.ModelProto":
    """A float copy of ``model``; ``symbolic_input`` (an NHWC image input) and the output get symbolic H, W."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    folded: dict[str, np.ndarray] = {}
    nodes = []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in initializers:
            values, scale, zero_point = (initializers[name] for name in node.input[:3])
            folded[node.output[0]] = dequantise(values, scale, zero_point, _attribute(node, "axis", 1))
        elif node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            # An activation's round trip through int8: the float value passes through unchanged.
            nodes.append(helper.make_node("Identity", [node.input[0]], [node.output[0]], name=node.name))
        else:
            nodes.append(node)
    used = {name for node in nodes for name in node.input}
    kept = [numpy_helper.from_array(value, name) for name, value in folded.items() if name in used]
    kept += [tensor for tensor in graph.initializer if tensor.name in used and tensor.name not in folded]

    inputs = [with_symbolic_hw(value) if value.name == symbolic_input else value for value in graph.input]
    outputs = [with_symbolic_hw(value) if symbolic_input else value for value in graph.output]
    new_graph = helper.make_graph(nodes, graph.name + "_float", inputs, outputs, kept)
    float_model = helper.make_model(new_graph, opset_imports=list(model.opset_import))
    float_model.ir_version = model.ir_version
    try:
        onnx.checker.check_model(float_model)
    except onnx.checker.ValidationError as exc:
        raise NetworkFileError(f"The style network's graph is not the expected one ({exc}); reinstall with: {REINSTALL}") from None
    return float_model


def with_symbolic_hw(value: "onnx.ValueInfoProto") -> "onnx.ValueInfoProto":
    """An NHWC image value with symbolic height and width (the graphs were fixed at one size)."""
    from onnx import TensorProto, helper

    dims = [d.dim_value or d.dim_param for d in value.type.tensor_type.shape.dim]
    batch, _, _, channels = dims
    return helper.make_tensor_value_info(value.name, TensorProto.FLOAT, [batch, *_SYMBOLIC_HW, channels])


def conv_weights(float_model: "onnx.ModelProto") -> dict[str, np.ndarray]:
    """Every convolution's float weight and bias, keyed by the TensorFlow scope of its weight
    (``transformer/contract/conv1``, ``style_params/transformer/residual/residual1/conv1/StyleNorm/Conv_1``…)."""
    from onnx import numpy_helper

    initializers = {tensor.name: numpy_helper.to_array(tensor) for tensor in float_model.graph.initializer}
    weights: dict[str, np.ndarray] = {}
    for node in float_model.graph.node:
        if node.op_type != "Conv":
            continue
        weight_name = node.input[1]
        scope = weight_name.removesuffix("_dequant").removesuffix("/weights")
        weight = initializers[weight_name]
        bias = initializers[node.input[2]] if len(node.input) > 2 else np.zeros(weight.shape[0], np.float32)
        weights[f"{scope}.weight"] = weight
        weights[f"{scope}.bias"] = bias
    return weights


def epsilon(float_model: "onnx.ModelProto") -> float:
    """The instance norms' variance epsilon (the ``batchnorm/add`` constant)."""
    from onnx import numpy_helper

    initializers = {tensor.name: numpy_helper.to_array(tensor) for tensor in float_model.graph.initializer}
    for node in float_model.graph.node:
        if node.op_type == "Add" and "batchnorm/add_" in node.output[0] and node.input[1] in initializers:
            return float(initializers[node.input[1]].reshape(-1)[0])
    raise NetworkFileError(f"The style transformer has no instance normalisation; reinstall with: {REINSTALL}")


# -- learned normalisation offsets ----------------------------------------------------------------
NORM_OFFSET_INPUT = "norm_offset/"


def norm_scope(name: str) -> str:
    """Our γ/β bias name (``residual.0.norm1.scale.bias``, ``expand.2.norm.shift.bias``) -> the graph's
    scope of that 1×1 convolution on the style vector (Conv_1 computes γ, Conv β)."""
    parts = name.split(".")
    conv = "Conv_1" if parts[-2] == "scale" else "Conv"
    if parts[0] == "residual":
        return f"style_params/transformer/residual/residual{int(parts[1]) + 1}/conv{parts[2][-1]}/StyleNorm/{conv}"
    return f"style_params/transformer/expand/conv{int(parts[1]) + 1}/conv/StyleNorm/{conv}"


def with_norm_offset_inputs(float_model: "onnx.ModelProto", names: dict[str, int]) -> "onnx.ModelProto":
    """The transformer graph with one more input per γ/β map (``norm_offset/<our name>``, 1×C×1×1)
    added to that map's output: learned offsets are then fed like the style vector, and zeros give
    the shipped network, so one derived graph serves every style."""
    from onnx import TensorProto, helper

    by_scope = {norm_scope(name): (name, channels) for name, channels in names.items()}
    graph = float_model.graph
    added = []
    for index, node in enumerate(list(graph.node)):
        scope = node.input[1].removesuffix("_dequant").removesuffix("/weights") if node.op_type == "Conv" else ""
        if scope not in by_scope:
            continue
        name, channels = by_scope.pop(scope)
        output = node.output[0]
        node.output[0] = output + "_shipped"
        offset = NORM_OFFSET_INPUT + name
        graph.input.append(helper.make_tensor_value_info(offset, TensorProto.FLOAT, [1, channels, 1, 1]))
        added.append((index, helper.make_node("Add", [output + "_shipped", offset], [output], name=offset + "/add")))
    if by_scope:
        raise NetworkFileError(f"The style transformer graph lacks {sorted(by_scope)[0]}; reinstall with: {REINSTALL}")
    for shift, (index, node) in enumerate(added):
        graph.node.insert(index + 1 + shift, node)  # right after its convolution: the graph stays sorted
    return float_model

"""Rewrites of the derived transformer graph that compute the same numbers faster on onnxruntime's CPU.

Where a 512² run went (onnxruntime's profiler, 2 threads): onnxruntime's blocked convolution
kernels (NCHWc) pad channel counts up to the SIMD block, so the full-size convolutions with 3 and
8 output channels cost as much as 16; reflection padding and nearest-neighbour upsampling run
outside the blocked layout, each with a layout conversion before and after it, on the largest
tensors of the network. The rewrites below keep the sums and change where they are done:

* the last convolution (9×9, 8 -> 3 channels at full size, ~40 % of the run) runs on 2×2 pixel
  blocks: SpaceToDepth, a 5×5 convolution 32 -> 12 channels at half size, DepthToSpace;
* each "upsample ×2, reflect-pad 1, 3×3 convolution" runs before the upsampling: edge-pad 1 at
  half size, a 3×3 convolution giving the four pixels of each 2×2 block, DepthToSpace (the same
  products, on a quarter of the pixels, with no upsampled copy and its padding to make);
* the first two layers (9×9 convolution 3 -> 8 channels at full size, ReLU, reflect-pad 1, 3×3
  convolution with stride 2) run on 2×2 pixel blocks too: the stride-2 convolution of the blocks
  is a 2×2 convolution with stride 1, and the reflection padding of the full-size picture is edge
  padding of the blocks (top and left), so the full-size 8-channel picture is never made;
* an upsampling by 1 (a copy) is dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from genart_core.fast_style.network_files import REINSTALL, NetworkFileError

if TYPE_CHECKING:
    import onnx

# The 9×9 convolutions' inputs are padded by 4 around a size that is a multiple of 4
# (OnnxStyleNetworks.stylize pads the picture so), so their sides are even, as SpaceToDepth needs.
FIRST_CONVOLUTION = "transformer/contract/conv1/Relu_prequant"
SECOND_CONVOLUTION = "transformer/contract/conv2/Relu_prequant"
LAST_CONVOLUTION = "transformer/expand/conv3/conv/Conv2D_prequant"
BLOCK = 2


def faster_graph(float_model: "onnx.ModelProto") -> "onnx.ModelProto":
    """The derived transformer graph with every rewrite above applied."""
    float_model = with_blocked_first_layers(without_copying_resizes(float_model))
    return with_blocked_last_convolution(with_upsampling_folded_into_convolutions(float_model))


def blocked_kernel(weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A stride-1 convolution's weights for 2×2 pixel blocks (DCR order, as ONNX's SpaceToDepth and
    DepthToSpace lay channels out: channel = (row in block × 2 + column in block) × C + c).

    Output pixel (2i+a, 2j+b) reads input pixel (2i+a+dy, 2j+b+dx), which is block (i+u, j+v) at
    offset (p, q) with 2u+p = a+dy and 2v+q = b+dx; every other tap of the new kernel is zero."""
    out_channels, in_channels, size, _ = weight.shape
    blocked_size = (size + BLOCK) // BLOCK
    blocked = np.zeros((BLOCK * BLOCK * out_channels, BLOCK * BLOCK * in_channels, blocked_size, blocked_size), np.float32)
    for a in range(BLOCK):
        for b in range(BLOCK):
            rows = slice((a * BLOCK + b) * out_channels, (a * BLOCK + b + 1) * out_channels)
            for p in range(BLOCK):
                for q in range(BLOCK):
                    columns = slice((p * BLOCK + q) * in_channels, (p * BLOCK + q + 1) * in_channels)
                    for u in range(blocked_size):
                        for v in range(blocked_size):
                            dy, dx = BLOCK * u + p - a, BLOCK * v + q - b
                            if 0 <= dy < size and 0 <= dx < size:
                                blocked[rows, columns, u, v] = weight[:, :, dy, dx]
    return blocked, np.tile(bias, BLOCK * BLOCK).astype(np.float32)


def with_blocked_last_convolution(float_model: "onnx.ModelProto") -> "onnx.ModelProto":
    """``float_model`` with its last convolution computed on 2×2 pixel blocks (same sums, to float rounding)."""
    from onnx import helper, numpy_helper

    graph = float_model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    index, node = next(((i, n) for i, n in enumerate(graph.node) if n.op_type == "Conv" and n.name == LAST_CONVOLUTION), (None, None))
    if node is None or len(node.input) != 3 or not _plain(node):
        raise NetworkFileError(f"The style transformer graph lacks its usual last convolution; reinstall with: {REINSTALL}")
    weight, bias = blocked_kernel(numpy_helper.to_array(initializers[node.input[1]]), numpy_helper.to_array(initializers[node.input[2]]))
    weight_name, bias_name = node.input[1] + "/blocked", node.input[2] + "/blocked"
    graph.initializer.extend([numpy_helper.from_array(weight, weight_name), numpy_helper.from_array(bias, bias_name)])
    blocks_in, blocks_out = node.output[0] + "/blocks_in", node.output[0] + "/blocks_out"
    replacement = [
        helper.make_node("SpaceToDepth", [node.input[0]], [blocks_in], name=node.name + "/to_blocks", blocksize=BLOCK),
        helper.make_node("Conv", [blocks_in, weight_name, bias_name], [blocks_out], name=node.name + "/blocked"),
        helper.make_node("DepthToSpace", [blocks_out], [node.output[0]], name=node.name + "/from_blocks", blocksize=BLOCK, mode="DCR"),
    ]
    del graph.node[index]
    for offset, new_node in enumerate(replacement):
        graph.node.insert(index + offset, new_node)
    return _drop_unused_initializers(float_model)


def _plain(node: "onnx.NodeProto") -> bool:
    """Stride 1, no padding, no dilation, one group: the case blocked_kernel handles."""
    attributes = {attribute.name: attribute for attribute in node.attribute}
    ones = all(value == 1 for name in ("strides", "dilations") if name in attributes for value in attributes[name].ints)
    no_pads = "pads" not in attributes or not any(attributes["pads"].ints)
    one_group = "group" not in attributes or attributes["group"].i == 1
    return ones and no_pads and one_group


# -- upsampling ---------------------------------------------------------------------------------
def upsampled_kernel(weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights of "nearest ×2, reflect-pad 1, 3×3 convolution" as a 3×3 convolution on the
    edge-padded input that gives each 2×2 output block as 4 × C channels (DepthToSpace's DCR order).

    Output row 2i+a, tap dy reads upsampled row 2i+a+dy-1, which is input row i + ⌊(a+dy-1)/2⌋,
    tap ⌊(a+dy-1)/2⌋ + 1 of the new kernel; at the borders, reflecting the upsampled picture by one
    pixel gives the input's edge pixel, which is what edge padding gives."""
    out_channels, in_channels, size, _ = weight.shape
    if size != 3:
        raise NetworkFileError(f"The style transformer's upsampling convolution is not 3×3; reinstall with: {REINSTALL}")
    folded = np.zeros((BLOCK * BLOCK * out_channels, in_channels, 3, 3), np.float32)
    for a in range(BLOCK):
        for b in range(BLOCK):
            rows = slice((a * BLOCK + b) * out_channels, (a * BLOCK + b + 1) * out_channels)
            for dy in range(3):
                for dx in range(3):
                    folded[rows, :, (a + dy - 1) // 2 + 1, (b + dx - 1) // 2 + 1] += weight[:, :, dy, dx]
    return folded, np.tile(bias, BLOCK * BLOCK).astype(np.float32)


def _producers(graph: "onnx.GraphProto") -> dict[str, "onnx.NodeProto"]:
    return {output: node for node in graph.node for output in node.output}


def _through_identities(name: str, producers: dict[str, "onnx.NodeProto"]) -> "onnx.NodeProto | None":
    """The node that computes ``name``, looking past Identity nodes (the bypassed int8 round trips)."""
    node = producers.get(name)
    while node is not None and node.op_type == "Identity":
        node = producers.get(node.input[0])
    return node


def _constant(graph: "onnx.GraphProto", name: str) -> np.ndarray | None:
    from onnx import numpy_helper

    tensor = next((t for t in graph.initializer if t.name == name), None)
    return None if tensor is None else numpy_helper.to_array(tensor)


def _text(node: "onnx.NodeProto", name: str) -> str:
    return next((a.s.decode() for a in node.attribute if a.name == name), "")


def _is_resize_by(graph: "onnx.GraphProto", node: "onnx.NodeProto | None", factor: float) -> bool:
    """A nearest-neighbour Resize by ``factor`` in height and width, with constant scales."""
    if node is None or node.op_type != "Resize" or len(node.input) < 3 or _text(node, "mode") != "nearest":
        return False
    scales = _constant(graph, node.input[2])
    return scales is not None and scales.tolist() == [1.0, 1.0, factor, factor] and _text(node, "coordinate_transformation_mode") == "asymmetric"


def without_copying_resizes(float_model: "onnx.ModelProto") -> "onnx.ModelProto":
    """Resize by 1 (the last expand layer's "upsampling") becomes an Identity, which onnxruntime drops."""
    from onnx import helper

    graph = float_model.graph
    for index, node in enumerate(graph.node):
        if _is_resize_by(graph, node, 1.0):
            graph.node[index].CopyFrom(helper.make_node("Identity", [node.input[0]], [node.output[0]], name=node.name))
    return _drop_unused_initializers(float_model)


def with_upsampling_folded_into_convolutions(float_model: "onnx.ModelProto") -> "onnx.ModelProto":
    """Each Conv 3×3 fed by Pad(reflect, 1) of Resize(nearest ×2) becomes Pad(edge, 1) -> Conv -> DepthToSpace."""
    from onnx import helper, numpy_helper

    graph = float_model.graph
    producers = _producers(graph)
    folded = 0
    for node in list(graph.node):
        if node.op_type != "Conv" or len(node.input) != 3 or not _plain(node):
            continue
        pad = _through_identities(node.input[0], producers)
        if pad is None or pad.op_type != "Pad" or _text(pad, "mode") != "reflect":
            continue
        pads = _constant(graph, pad.input[1])
        resize = _through_identities(pad.input[0], producers)
        if pads is None or pads.tolist() != [0, 0, 1, 1, 0, 0, 1, 1] or not _is_resize_by(graph, resize, 2.0):
            continue
        weight, bias = upsampled_kernel(_constant(graph, node.input[1]), _constant(graph, node.input[2]))
        prefix = node.name + "/before_upsampling"
        graph.initializer.extend([numpy_helper.from_array(weight, prefix + "/weights"), numpy_helper.from_array(bias, prefix + "/bias")])
        graph.initializer.append(numpy_helper.from_array(pads.astype(np.int64), prefix + "/pads"))
        replacement = [
            helper.make_node("Pad", [resize.input[0], prefix + "/pads"], [prefix + "/padded"], name=prefix + "/pad", mode="edge"),
            helper.make_node("Conv", [prefix + "/padded", prefix + "/weights", prefix + "/bias"], [prefix + "/blocks"], name=prefix + "/conv"),
            helper.make_node("DepthToSpace", [prefix + "/blocks"], [node.output[0]], name=prefix + "/from_blocks", blocksize=BLOCK, mode="DCR"),
        ]
        index = list(graph.node).index(node)
        del graph.node[index]
        for offset, new_node in enumerate(replacement):
            graph.node.insert(index + offset, new_node)
        folded += 1
    if folded != 2:
        raise NetworkFileError(f"The style transformer's upsampling layers are not the expected ones; reinstall with: {REINSTALL}")
    return _drop_unused(float_model)


def _drop_unused(float_model: "onnx.ModelProto") -> "onnx.ModelProto":
    """Removes nodes whose outputs nothing reads (the replaced upsampling and padding), then unused initializers."""
    graph = float_model.graph
    wanted = {output.name for output in graph.output}
    kept = []
    for node in reversed(list(graph.node)):
        if any(output in wanted for output in node.output):
            kept.append(node)
            wanted.update(node.input)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    return _drop_unused_initializers(float_model)


def _drop_unused_initializers(float_model: "onnx.ModelProto") -> "onnx.ModelProto":
    graph = float_model.graph
    used = {name for node in graph.node for name in node.input}
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return float_model


# -- the first two layers on pixel blocks -------------------------------------------------------
def strided_blocked_kernel(weight: np.ndarray) -> np.ndarray:
    """A 3×3 stride-2 convolution of a reflect-padded picture as a 2×2 stride-1 convolution of its
    2×2 blocks (DCR channels), edge-padded by one block at the top and left.

    Output row i reads padded rows 2i, 2i+1, 2i+2 = picture rows 2i-1, 2i, 2i+1 (row -1 reflects
    to row 1) = block rows i-1 (second row in the block), i (first), i (second); block tap 0 is
    block row i-1, tap 1 block row i, and the edge padding repeats block row 0 above it, whose
    second row is picture row 1, as the reflection wants."""
    out_channels, in_channels, size, _ = weight.shape
    if size != 3:
        raise NetworkFileError(f"The style transformer's second convolution is not 3×3; reinstall with: {REINSTALL}")
    picture_tap = {(0, 1): 0, (1, 0): 1, (1, 1): 2}  # (block tap, row in block) -> row tap of the 3×3 kernel
    blocked = np.zeros((out_channels, BLOCK * BLOCK * in_channels, 2, 2), np.float32)
    for (u, p), dy in picture_tap.items():
        for (v, q), dx in picture_tap.items():
            blocked[:, (p * BLOCK + q) * in_channels : (p * BLOCK + q + 1) * in_channels, u, v] = weight[:, :, dy, dx]
    return blocked


def _consumers(graph: "onnx.GraphProto", name: str) -> list["onnx.NodeProto"]:
    return [node for node in graph.node if name in node.input]


def _only_consumer(graph: "onnx.GraphProto", name: str) -> "onnx.NodeProto | None":
    """The one node reading ``name`` (looking past Identity nodes), or None if not exactly one."""
    consumers = _consumers(graph, name)
    while len(consumers) == 1 and consumers[0].op_type == "Identity":
        consumers = _consumers(graph, consumers[0].output[0])
    return consumers[0] if len(consumers) == 1 else None


def with_blocked_first_layers(float_model: "onnx.ModelProto") -> "onnx.ModelProto":
    """Conv 9×9 -> ReLU -> Pad(reflect, 1) -> Conv 3×3 stride 2 becomes SpaceToDepth -> Conv 5×5 ->
    ReLU -> Pad(edge, top and left 1) -> Conv 2×2, all on 2×2 blocks (see strided_blocked_kernel)."""
    from onnx import helper, numpy_helper

    graph = float_model.graph
    nodes = {node.name: node for node in graph.node}
    first, second = nodes.get(FIRST_CONVOLUTION), nodes.get(SECOND_CONVOLUTION)
    relu = _only_consumer(graph, first.output[0]) if first is not None else None
    pad = _only_consumer(graph, relu.output[0]) if relu is not None and relu.op_type == "Relu" else None
    padding = _constant(graph, pad.input[1]) if pad is not None and pad.op_type == "Pad" else None
    expected = (
        second is not None and len(first.input) == 3 and _plain(first) and padding is not None
        and padding.tolist() == [0, 0, 1, 1, 0, 0, 1, 1] and _text(pad, "mode") == "reflect"
        and _only_consumer(graph, pad.output[0]) is second and _stride_two_3x3(second)
    )
    if not expected:
        raise NetworkFileError(f"The style transformer's first layers are not the expected ones; reinstall with: {REINSTALL}")
    first_weight, first_bias = blocked_kernel(_constant(graph, first.input[1]), _constant(graph, first.input[2]))
    second_weight = strided_blocked_kernel(_constant(graph, second.input[1]))
    prefix = FIRST_CONVOLUTION + "/blocked"
    graph.initializer.extend([
        numpy_helper.from_array(first_weight, prefix + "/weights"),
        numpy_helper.from_array(first_bias, prefix + "/bias"),
        numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 0, 0], np.int64), prefix + "/pads"),
        numpy_helper.from_array(second_weight, SECOND_CONVOLUTION + "/blocked/weights"),
    ])
    index = list(graph.node).index(first)
    replacement = [
        helper.make_node("SpaceToDepth", [first.input[0]], [prefix + "/blocks_in"], name=prefix + "/to_blocks", blocksize=BLOCK),
        helper.make_node("Conv", [prefix + "/blocks_in", prefix + "/weights", prefix + "/bias"], [first.output[0]], name=prefix),
    ]
    del graph.node[index]
    for offset, new_node in enumerate(replacement):
        graph.node.insert(index + offset, new_node)
    pad.CopyFrom(helper.make_node("Pad", [pad.input[0], prefix + "/pads"], [pad.output[0]], name=pad.name + "/blocked", mode="edge"))
    second.CopyFrom(helper.make_node("Conv", [second.input[0], SECOND_CONVOLUTION + "/blocked/weights", second.input[2]], [second.output[0]], name=second.name + "/blocked"))
    return _drop_unused_initializers(float_model)


def _stride_two_3x3(node: "onnx.NodeProto") -> bool:
    attributes = {attribute.name: attribute for attribute in node.attribute}
    strides = list(attributes["strides"].ints) if "strides" in attributes else []
    no_pads = "pads" not in attributes or not any(attributes["pads"].ints)
    one_group = "group" not in attributes or attributes["group"].i == 1
    return node.op_type == "Conv" and len(node.input) == 3 and strides == [2, 2] and no_pads and one_group

"""Rewrites of the derived transformer graph that compute the same numbers faster on onnxruntime's CPU.

The transformer's last convolution (9×9, 8 -> 3 channels at full size) took about 40 % of a 512²
run: onnxruntime's blocked convolution kernels (NCHWc) pad the channel count to the SIMD block,
so 3 output channels cost as much as 16. Computed on 2×2 pixel blocks instead — SpaceToDepth, a
5×5 convolution 32 -> 12 channels at half size, DepthToSpace — it does the same sums with a
quarter of the pixels and 12 of 16 block lanes in use (bench/fast_style.py has the figures).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from genart_core.fast_style.network_files import REINSTALL, NetworkFileError

if TYPE_CHECKING:
    import onnx

# The convolution to rewrite: the largest cost at 512², and its input (padded by 4 around a size
# that is a multiple of 4) always has even sides, as SpaceToDepth needs.
LAST_CONVOLUTION = "transformer/expand/conv3/conv/Conv2D_prequant"
BLOCK = 2


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
    used = {name for n in graph.node for name in n.input}
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return float_model


def _plain(node: "onnx.NodeProto") -> bool:
    """Stride 1, no padding, no dilation, one group: the case blocked_kernel handles."""
    attributes = {attribute.name: attribute for attribute in node.attribute}
    ones = all(value == 1 for name in ("strides", "dilations") if name in attributes for value in attributes[name].ints)
    no_pads = "pads" not in attributes or not any(attributes["pads"].ints)
    one_group = "group" not in attributes or attributes["group"].i == 1
    return ones and no_pads and one_group

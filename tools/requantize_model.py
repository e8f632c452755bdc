"""How ``resources/models/all-MiniLM-L6-v2/model.onnx`` was made from the published int8 export: its int8
weights kept int8 where ONNX Runtime runs them.

The published file stores each weight as int8 with a scale per output column (per row for the embedding
tables), turned back into float32 by a ``Cast`` and a ``Mul`` in the graph. ONNX Runtime folds those constants
when it loads the model: every weight became float32 in memory (90 MB from a 23 MB file; the session took 98
MiB) and every product ran in float32. Here

* each ``MatMul`` on such a weight becomes ``DynamicQuantizeMatMul`` (com.microsoft, in every ONNX Runtime
  build) on the same int8 weight and the same scales: the input is quantised per run, the product runs in
  int8;
* each embedding ``Gather`` gathers the int8 rows and their scales and scales only those rows (exact);
* each product's weight is stored unsigned (``unsigned_weights``: the same integers, offset by a zero point of
  128), so that every x86 CPU computes the exact products: with signed weights a CPU without VNNI saturated
  and its vectors, and the rankings, differed from other machines'.

Measured on this repository's eval cases (2 threads): a case's vector in 16.0 ms instead of 25.9 (p50), the
session 34 MiB instead of 98, the vectors at cosine 0.991-1.000 (mean 0.995) to the float32 products'.
The eval figures before and after are in the project's notes; the weights and scales are the published ones.

Run once, by hand, with the ``onnx`` package (not a dependency of the app):

    pip install onnx
    python tools/requantize_model.py published-model.onnx resources/models/all-MiniLM-L6-v2/model.onnx
    cd resources/models/all-MiniLM-L6-v2 && sha256sum model.onnx tokenizer.json > SHA256SUMS
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper


def _int8_weight(node: Any, weight: str, producers: dict[str, Any], initializers: dict[str, Any]) -> Any:
    """(the int8 initializer, its scale's name, the Cast and Mul to drop) when ``weight`` is made by
    ``Mul(Cast(int8 initializer), scale)``, else None."""
    mul = producers.get(weight)
    if mul is None or mul.op_type != "Mul":
        return None
    cast = producers.get(mul.input[0])
    scale = mul.input[1]
    if cast is None or cast.op_type != "Cast" or scale not in initializers or cast.input[0] not in initializers:
        return None
    quantised = initializers[cast.input[0]]
    if quantised.data_type != onnx.TensorProto.INT8:
        return None
    return quantised, scale, (mul, cast)


def requantize(model: Any) -> tuple[int, int]:
    """Rewrite ``model`` in place; (matrix products, embedding tables) rewritten."""
    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    producers = {out: n for n in graph.node for out in n.output}
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    replaced: dict[int, list[Any]] = {}
    dropped: set[int] = set()
    added: list[Any] = []
    products = tables = 0
    for node in list(graph.node):
        if node.op_type not in ("MatMul", "Gather"):
            continue
        weight = node.input[1] if node.op_type == "MatMul" else node.input[0]
        found = _int8_weight(node, weight, producers, initializers)
        if found is None or uses.get(weight) != 1:
            continue
        quantised, scale, made_by = found
        if node.op_type == "MatMul":
            columns = numpy_helper.to_array(initializers[scale]).astype(np.float32).reshape(-1)
            added.append(numpy_helper.from_array(columns, f"{scale}_columns"))
            replaced[id(node)] = [
                helper.make_node(
                    "DynamicQuantizeMatMul",
                    [node.input[0], quantised.name, f"{scale}_columns"],
                    [node.output[0]],
                    name=f"{node.name}_int8",
                    domain="com.microsoft",
                )
            ]
            products += 1
        else:
            if any(a.name == "axis" and a.i != 0 for a in node.attribute):
                continue
            out = node.output[0]
            replaced[id(node)] = [
                helper.make_node("Gather", [quantised.name, node.input[1]], [f"{out}_int8"], name=f"{node.name}_rows"),
                helper.make_node("Gather", [scale, node.input[1]], [f"{out}_scales"], name=f"{node.name}_scales"),
                helper.make_node(
                    "Cast", [f"{out}_int8"], [f"{out}_f"], name=f"{node.name}_cast", to=onnx.TensorProto.FLOAT
                ),
                helper.make_node("Mul", [f"{out}_f", f"{out}_scales"], [out], name=f"{node.name}_scale"),
            ]
            tables += 1
        dropped.update(id(n) for n in made_by)
    nodes = [new for node in graph.node if id(node) not in dropped for new in replaced.get(id(node), [node])]
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.initializer if i.name in used] + added
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return products, tables


def unsigned_weights(model: Any) -> int:
    """Each ``DynamicQuantizeMatMul``'s int8 weight stored as uint8 with a zero point of 128 (the same integers);
    the number of weights rewritten.

    With a signed weight ONNX Runtime multiplies uint8 inputs by int8 weights, and on an x86 CPU without VNNI
    (AVX2 only) its kernel adds pairs of those products in 16 bits, which saturate: the vectors then depend on
    the CPU (cosine 0.991-0.994 between an AVX2-only CPU's vectors and the exact products', enough to move
    eval figures and rankings from one machine to another). With both sides unsigned every CPU computes the
    exact integer products, as a VNNI CPU does with the signed weight."""
    initializers = {i.name: i for i in model.graph.initializer}
    rewritten: set[str] = set()
    for node in model.graph.node:
        if node.op_type != "DynamicQuantizeMatMul" or (len(node.input) > 3 and node.input[3]):
            continue
        weight, scale = node.input[1], node.input[2]
        if initializers[weight].data_type == onnx.TensorProto.INT8:
            shifted = numpy_helper.to_array(initializers[weight]).astype(np.int16) + 128
            initializers[weight].CopyFrom(numpy_helper.from_array(shifted.astype(np.uint8), weight))
            rewritten.add(weight)
        zero = f"{weight}_zero_point"
        if zero not in initializers:
            columns = numpy_helper.to_array(initializers[scale]).shape
            initializers[zero] = numpy_helper.from_array(np.full(columns, 128, dtype=np.uint8), zero)
            model.graph.initializer.append(initializers[zero])
        inputs = [*node.input, "", ""][:4]
        inputs[3] = zero
        del node.input[:]
        node.input.extend(inputs)
    return len(rewritten)


def main(source: str, target: str) -> None:
    model = onnx.load(source)
    products, tables = requantize(model)
    unsigned = unsigned_weights(model)
    onnx.checker.check_model(model)
    onnx.save(model, target)
    print(f"{products} matrix products in int8 ({unsigned} weights unsigned), {tables} embedding tables as int8 rows")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""Shipped style models as TensorFlow.js graph models, for the page in web/.

The browser runs the same artefact as every other consumer: the SavedModel, converted
by the pinned `tensorflowjs` converter. It converts `serving_portable` (the same uint8
images in, uint8 images out, any size, as `serving_default`, but in the plain Keras ops:
the faster serving graph uses a fused normalisation the converter cannot take), or
`serving_default` in a SavedModel exported before that signature existed. tfjs has no
uint8 tensors, so the page feeds the int32 tensor `tf.browser.fromPixels` gives and gets
int32 in [0, 255] back, already rounded and clipped by the graph — what the Python CLI
gets, within the 1 level the serving graph may differ by.

The converter is an optional dependency that must be installed without its declared
dependencies (they downgrade TensorFlow; see tools/requirements-tfjs.txt). Reading a
converted model back (`graph_model_function`) needs only TensorFlow, so the committed
models can be checked against their SavedModels anywhere.
"""
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import types

import numpy as np

from kerastransfer import artifact, image_io
from kerastransfer.artifact import DEFAULT_SIGNATURE, PORTABLE_SIGNATURE

INDEX_FILE = "models.json"
INSTALL_HINT = ("pip install --no-deps --require-hashes -r tools/requirements-tfjs.txt "
                "(see the file for why --no-deps)")
# tensorflowjs imports these at start-up but the SavedModel → graph model path never uses
# them; the real packages would pull jax/flax and a TensorFlow 2.19 (decision forests).
_UNUSED_MODULES = ("tensorflow_decision_forests", "tensorflowjs.converters.jax_conversion")


class ConverterMissing(ImportError):
    """tensorflowjs (or tf-keras / tensorflow-hub) is not installed."""


def load_converter():
    """The tensorflowjs SavedModel converter module, with empty stand-ins registered for
    the two modules it imports but does not need here (never `jax` itself)."""
    for name in _UNUSED_MODULES:
        if name not in sys.modules:
            stand_in = types.ModuleType(name)
            stand_in.convert_jax = None  # what tensorflowjs.converters re-exports
            sys.modules[name] = stand_in
    _provide_pkg_resources()
    try:
        from tensorflowjs.converters import tf_saved_model_conversion_v2
    except ImportError as e:
        raise ConverterMissing(f"the TensorFlow.js converter is not installed ({e}); "
                               f"install it with: {INSTALL_HINT}") from None
    return tf_saved_model_conversion_v2


def _provide_pkg_resources():
    """tensorflow_hub 0.16.1 imports `parse_version` from pkg_resources, which setuptools
    81+ no longer ships; `packaging`'s parser is the same comparison."""
    if "pkg_resources" not in sys.modules and importlib.util.find_spec("pkg_resources") is None:
        from packaging.version import parse
        stand_in = types.ModuleType("pkg_resources")
        stand_in.parse_version = parse
        sys.modules["pkg_resources"] = stand_in


def style_models():
    """(name, SavedModel path, record) of every shipped style model, newest version."""
    found = []
    for name in artifact.available_models():
        path = artifact.resolve(name)
        record = artifact.read_record(path)
        if record.task == artifact.STYLE_TASK:
            found.append((name, path, record))
    return found


def convert(saved_model_dir, output_dir, float16=True):
    """Converts the portable signature to a graph model in `output_dir` (model.json +
    weight shards); float16 halves the download, at the cost `conversion_error` measures.
    Nearest upsampling is then rewritten for speed (`rewrite_nearest_upsampling`)."""
    signatures = artifact.read_signature_defs(saved_model_dir)
    load_converter().convert_tf_saved_model(
        saved_model_dir, output_dir,
        signature_def=(PORTABLE_SIGNATURE if PORTABLE_SIGNATURE in signatures
                       else DEFAULT_SIGNATURE),
        quantization_dtype_map={"float16": True} if float16 else None,
        use_structured_outputs_names=True)
    rewrite_nearest_upsampling(output_dir)
    return output_dir


def export_all(web_root, float16=True, check_image=None):
    """Converts every shipped style model into web_root/models/NAME/ and writes the index.

    Everything is built in a staging folder that then replaces web_root/models whole, so a
    failure leaves the previous models untouched and a model no longer shipped is dropped.
    `check_image` (uint8 [H, W, 3]) adds each model's `conversion_error` to the index.
    Returns the index entries.
    """
    models = style_models()
    if not models:
        raise ValueError(f"{artifact.models_root()}: no style models (a NAME/VERSION/ "
                         f"SavedModel whose assets/kerastransfer.json says task: style)")
    load_converter()  # fail before touching anything
    os.makedirs(web_root, exist_ok=True)
    final = os.path.join(web_root, "models")
    staging = tempfile.mkdtemp(prefix=".models-", dir=web_root)
    try:
        entries = []
        for name, path, record in models:
            model_dir = convert(path, os.path.join(staging, name), float16)
            quality = conversion_error(path, model_dir, check_image) if check_image is not None else None
            entries.append(index_entry(name, path, record, model_dir, staging, quality))
        image_io.write_json(os.path.join(staging, INDEX_FILE),
                            {"format": 1, "weights": "float16" if float16 else "float32",
                             "models": entries})
        os.chmod(staging, 0o755)  # mkdtemp makes it private; a web server must read it
        old = final + ".old"
        shutil.rmtree(old, ignore_errors=True)
        if os.path.exists(final):
            os.replace(final, old)
        os.replace(staging, final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return entries


def _read_weights(model_dir, manifest):
    """{name: numpy array} from the weight shards, float16 weights widened to float32 as
    tfjs does when it loads them."""
    weights = {}
    for group in manifest:
        data = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            stored = spec.get("quantization", {}).get("dtype", spec["dtype"])
            count = int(np.prod(spec["shape"], dtype=np.int64))
            array = np.frombuffer(data, np.dtype(stored), count, offset)
            offset += array.nbytes
            weights[spec["name"]] = array.astype(spec["dtype"]).reshape(spec["shape"])
    return weights


def _node_name(input_name):
    return input_name.lstrip("^").split(":")[0]


def _repeat(nodes, weights, reshape):
    """(source, axis, factor, axis_const) if `reshape` ends tf.repeat(source, factor, axis)
    (ExpandDims → Tile → Reshape, as Keras's UpSampling2D traces), else None."""
    if reshape["op"] != "Reshape":
        return None
    tile = nodes.get(_node_name(reshape["input"][0]))
    if not tile or tile["op"] != "Tile":
        return None
    expand = nodes.get(_node_name(tile["input"][0]))
    if not expand or expand["op"] != "ExpandDims":
        return None
    dim, multiples = (weights.get(_node_name(n)) for n in (expand["input"][1], tile["input"][1]))
    if dim is None or multiples is None or dim.size != 1:
        return None
    dim = int(dim)
    others = np.delete(multiples, dim)
    if not 0 < dim < len(multiples) or np.any(others != 1):
        return None
    return _node_name(expand["input"][0]), dim - 1, int(multiples[dim]), _node_name(expand["input"][1])


def _const(name, value):
    return {"name": name, "op": "Const", "attr": {
        "dtype": {"type": "DT_INT32"},
        "value": {"tensor": {"dtype": "DT_INT32",
                             "tensorShape": {"dim": [{"size": str(len(value))}]}}}}}


def rewrite_nearest_upsampling(model_dir):
    """Replaces each nearest 2× upsampling (tf.repeat along height, then width: ExpandDims
    → Tile → Reshape twice) by ResizeNearestNeighbor to twice the size, the same function
    (without half-pixel centres: output pixel i reads input i // 2). tfjs's wasm Tile
    kernel is generic and slow: it took over half the time of a 256² frame. Unused nodes
    and their weights are then dropped. Returns how many upsamplings were replaced."""
    path = os.path.join(model_dir, "model.json")
    with open(path) as f:
        model = json.load(f)
    graph = model["modelTopology"]["node"]
    nodes = {n["name"]: n for n in graph}
    weights = _read_weights(model_dir, model["weightsManifest"])
    prefix = "kerastransfer/nearest_upsampling"
    constants = {"begin": [1], "end": [3], "strides": [1], "factor": [2]}
    rewritten = 0
    for node in list(graph):
        second = _repeat(nodes, weights, node)
        if not second or second[1:3] != (2, 2):
            continue
        first = _repeat(nodes, weights, nodes[second[0]])
        if not first or first[1:3] != (1, 2):
            continue
        source, name, k = first[0], node["name"], f"{prefix}/{rewritten}"
        added = [
            {"name": f"{k}/shape", "op": "Shape", "input": [source],
             "attr": {"T": {"type": "DT_FLOAT"}, "out_type": {"type": "DT_INT32"}}},
            {"name": f"{k}/height_width", "op": "StridedSlice",
             "input": [f"{k}/shape"] + [f"{prefix}/{c}" for c in ("begin", "end", "strides")],
             "attr": {"T": {"type": "DT_INT32"}, "Index": {"type": "DT_INT32"},
                      **{m: {"i": "0"} for m in ("begin_mask", "end_mask", "ellipsis_mask",
                                                  "new_axis_mask", "shrink_axis_mask")}}},
            {"name": f"{k}/size", "op": "Mul", "input": [f"{k}/height_width", f"{prefix}/factor"],
             "attr": {"T": {"type": "DT_INT32"}}},
        ]
        node.clear()
        node.update({"name": name, "op": "ResizeNearestNeighbor", "input": [source, f"{k}/size"],
                     "attr": {"T": {"type": "DT_FLOAT"}, "align_corners": {"b": False},
                              "half_pixel_centers": {"b": False}}})
        graph.extend(added)
        nodes.update({n["name"]: n for n in added})
        rewritten += 1
    if rewritten:
        for key, value in constants.items():
            graph.append(_const(f"{prefix}/{key}", value))
            weights[f"{prefix}/{key}"] = np.array(value, np.int32)
            model["weightsManifest"][0]["weights"].append(
                {"name": f"{prefix}/{key}", "shape": [len(value)], "dtype": "int32"})
        _drop_unused(model, model_dir, weights)
        with open(path, "w") as f:
            json.dump(model, f, separators=(",", ":"))
    return rewritten


def _drop_unused(model, model_dir, weights):
    """Keeps the nodes the output depends on, and their weights, in one shard."""
    graph = model["modelTopology"]["node"]
    nodes = {n["name"]: n for n in graph}
    outputs = [_node_name(o["name"]) for o in model["signature"]["outputs"].values()]
    keep, todo = set(), list(outputs)
    while todo:
        name = todo.pop()
        if name not in keep and name in nodes:
            keep.add(name)
            todo.extend(_node_name(i) for i in nodes[name].get("input", []))
    graph[:] = [n for n in graph if n["name"] in keep]
    specs = [spec for group in model["weightsManifest"] for spec in group["weights"]
             if spec["name"] in keep]
    data = []
    for spec in specs:
        stored = spec.get("quantization", {}).get("dtype", spec["dtype"])
        data.append(weights[spec["name"]].astype(stored).tobytes())
    for group in model["weightsManifest"]:
        for shard in group["paths"]:
            os.remove(os.path.join(model_dir, shard))
    shard = "group1-shard1of1.bin"
    with open(os.path.join(model_dir, shard), "wb") as f:
        f.write(b"".join(data))
    model["weightsManifest"] = [{"paths": [shard], "weights": specs}]


def graph_model_function(model_dir):
    """A TensorFlow function running a converted graph model: int images [B, H, W, 3] →
    uint8. The graph and its (dequantised) weights are exactly what the browser loads, so
    comparing it with the SavedModel measures what conversion and float16 cost."""
    import tensorflow as tf
    from google.protobuf import json_format
    with open(os.path.join(model_dir, "model.json")) as f:
        model = json.load(f)
    graph_def = json_format.ParseDict(model["modelTopology"], tf.compat.v1.GraphDef())
    weights = _read_weights(model_dir, model["weightsManifest"])
    for node in graph_def.node:
        if node.name in weights:
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(weights[node.name]))
    signature = model["signature"]
    input_name = signature["inputs"]["images"]["name"]
    output_name = signature["outputs"]["images"]["name"]
    wrapped = tf.compat.v1.wrap_function(
        lambda: tf.compat.v1.import_graph_def(graph_def, name=""), [])
    run = wrapped.prune(wrapped.graph.get_tensor_by_name(input_name),
                        wrapped.graph.get_tensor_by_name(output_name))
    return lambda images: run(tf.cast(images, tf.uint8)).numpy()


def conversion_error(saved_model_dir, model_dir, image):
    """How far the graph model's output is from the SavedModel's on `image` (uint8
    [H, W, 3]), in uint8 levels: mean and max absolute difference, share of values that
    differ."""
    from kerastransfer.inference.exported_model import ExportedModel
    expected = ExportedModel(saved_model_dir)(image[np.newaxis])[0].astype(np.int16)
    actual = graph_model_function(model_dir)(image[np.newaxis])[0].astype(np.int16)
    diff = np.abs(actual - expected)
    return {"mean_abs": round(float(diff.mean()), 4), "max_abs": int(diff.max()),
            "differing": round(float((diff > 0).mean()), 4),
            "image": f"{image.shape[1]}x{image.shape[0]}"}


def display_title(name):
    """`the_shipwreck_of_the_minotaur` → `The Shipwreck of the Minotaur`."""
    small = {"of", "the", "a", "and", "in", "on"}
    words = []
    for i, word in enumerate(name.split("_")):
        if re.fullmatch(r"x{0,3}(ix|iv|v?i{0,3})", word) and word:
            words.append(word.upper())
        elif i and word in small:
            words.append(word)
        else:
            words.append(word.capitalize())
    return " ".join(words)


def folder_size(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def index_entry(name, saved_model_dir, record, model_dir, index_dir, quality=None):
    """What the page shows and needs for one model; the rest of the record stays in the
    SavedModel."""
    train = record.train
    entry = {
        "name": name,
        "title": record.extra.get("title") or display_title(name),
        "path": os.path.relpath(os.path.join(model_dir, "model.json"), index_dir),
        "bytes": folder_size(model_dir),
        "style_image": record.style_image,
        "steps": record.steps_in_all,
        "image_size": train.get("image_size"),
        "network": record.network_config,
        "saved_model": os.path.relpath(saved_model_dir, os.path.dirname(artifact.models_root())),
    }
    if quality:
        entry["conversion_error"] = quality
    return entry


def read_index(web_root):
    with open(os.path.join(web_root, "models", INDEX_FILE)) as f:
        return json.load(f)

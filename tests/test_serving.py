"""kerastransfer-serve speaks TF Serving's protocol: checked with the generated stubs alone
(what any TF Serving client uses), with plain HTTP, and with kerastransfer's own clients.

The protocol tests also run against a real tensorflow_model_server when its addresses are
given (it cannot be installed here; run them where Docker exists):

  KERASTRANSFER_TF_SERVING_GRPC=localhost:8500 KERASTRANSFER_TF_SERVING_REST=localhost:8501 \\
  KERASTRANSFER_TF_SERVING_MODEL=udnie pytest tests/test_serving.py

The in-process reference is saved_models/<model>/<newest> unless
KERASTRANSFER_TF_SERVING_SAVED_MODEL names the SavedModel the server was given.
"""
import base64
import concurrent.futures
import dataclasses
import io
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

import grpc  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow_serving.apis import (get_model_metadata_pb2, get_model_status_pb2,  # noqa: E402
                                     model_service_pb2_grpc, predict_pb2,
                                     prediction_service_pb2_grpc)

from conftest import REPO, random_image, run_cli  # noqa: E402

pytestmark = pytest.mark.slow  # command lines, servers, training runs

SERVER_START_TIMEOUT_S = 180
MAX_PIXELS = 1_000_000            # the local server's --max_request_pixels
MAX_MESSAGE = 4 * 1024 * 1024     # its --grpc_max_message_size and REST body limit
CLIENT_MESSAGE = 64 * 1024 * 1024


@dataclasses.dataclass
class Target:
    """A server under test and the SavedModel its answers must match."""
    grpc: str
    rest: str
    model: str
    saved_model: str
    local: bool


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_version(source, model_dir, version):
    """Copies a SavedModel in as `version`, renamed into place whole like an export."""
    tmp = os.path.join(model_dir, f".incoming-{version}")
    shutil.copytree(source, tmp)
    os.replace(tmp, os.path.join(model_dir, str(version)))


@pytest.fixture(scope="module")
def models_tree(tmp_path_factory, tiny_saved_model):
    """models/tiny/1 and models/fresh/1 (the tiny model), and a TF Serving config."""
    root = tmp_path_factory.mktemp("serving")
    for name in ("tiny", "fresh"):
        (root / "models" / name).mkdir(parents=True)
        copy_version(tiny_saved_model, root / "models" / name, 1)
    config = root / "models.config"
    config.write_text(f"""
model_config_list {{
  config {{
    name: "tiny"
    base_path: "{root / 'models' / 'tiny'}"
    model_platform: "tensorflow"
    model_version_policy {{ latest {{ num_versions: 1 }} }}
  }}
  config {{
    name: "fresh"
    base_path: "{root / 'models' / 'fresh'}"
    model_platform: "tensorflow"
  }}
}}
""")
    return root


def start_server(*flags):
    """kerastransfer-serve in a subprocess on free loopback ports. Yields (grpc, rest)
    addresses; then stops it with SIGTERM, and it must exit 0 (graceful shutdown)."""
    grpc_port, rest_port = free_port(), free_port()
    command = [sys.executable, "-m", "kerastransfer.cli.serve", "--host=127.0.0.1",
               f"--port={grpc_port}", f"--rest_api_port={rest_port}", *flags]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],
                     daemon=True).start()
    stderr = []
    threading.Thread(target=lambda: stderr.extend(process.stderr), daemon=True).start()
    try:
        ready = lines.get(timeout=SERVER_START_TIMEOUT_S)
    except queue.Empty:
        ready = ""
    if "kerastransfer-serve: serving" not in ready:
        process.kill()
        process.wait()
        pytest.fail(f"server did not start: {ready}{''.join(stderr)[-2000:]}")
    yield f"127.0.0.1:{grpc_port}", f"127.0.0.1:{rest_port}"
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        code = "timeout"
    assert code == 0, f"server did not shut down cleanly ({code}): {''.join(stderr)[-2000:]}"


@pytest.fixture(scope="module")
def local_server(models_tree):
    for grpc_address, rest_address in start_server(
            f"--model_config_file={models_tree / 'models.config'}",
            "--file_system_poll_wait_seconds=1", f"--grpc_max_message_size={MAX_MESSAGE}",
            f"--rest_api_max_request_bytes={MAX_MESSAGE}",
            f"--max_request_pixels={MAX_PIXELS}", "--num_workers=2"):
        yield Target(grpc_address, rest_address, "tiny",
                     str(models_tree / "models" / "tiny" / "1"), local=True)


def real_tf_serving():
    grpc_address = os.environ.get("KERASTRANSFER_TF_SERVING_GRPC")
    rest_address = os.environ.get("KERASTRANSFER_TF_SERVING_REST")
    if not (grpc_address and rest_address):
        pytest.skip("no real TF Serving: set KERASTRANSFER_TF_SERVING_GRPC and "
                    "KERASTRANSFER_TF_SERVING_REST (host:port) to run against one")
    from kerastransfer import artifact
    model = os.environ.get("KERASTRANSFER_TF_SERVING_MODEL", "udnie")
    saved_model = (os.environ.get("KERASTRANSFER_TF_SERVING_SAVED_MODEL")
                   or artifact.resolve(os.path.join(REPO, "saved_models", model)))
    return Target(grpc_address, rest_address, model, saved_model, local=False)


@pytest.fixture(params=["kerastransfer-serve", "tf-serving"], scope="module")
def target(request):
    if request.param == "tf-serving":
        return real_tf_serving()
    return request.getfixturevalue("local_server")


_loaded = {}


def in_process(saved_model, signature="serving_default", **inputs):
    """The SavedModel's answer in this process: the reference every server must match."""
    if saved_model not in _loaded:
        _loaded[saved_model] = tf.saved_model.load(saved_model)
    function = _loaded[saved_model].signatures[signature]
    return {k: v.numpy() for k, v in function(**{k: tf.constant(v) for k, v in
                                                  inputs.items()}).items()}


# Raw generated stubs: nothing from kerastransfer.
def channel(address):
    return grpc.insecure_channel(address, options=[
        ("grpc.max_send_message_length", CLIENT_MESSAGE),
        ("grpc.max_receive_message_length", CLIENT_MESSAGE)])


@pytest.fixture(scope="module")
def stubs(target):
    with channel(target.grpc) as ch:
        yield (prediction_service_pb2_grpc.PredictionServiceStub(ch),
               model_service_pb2_grpc.ModelServiceStub(ch))


def predict_request(model, inputs, signature="", version=None):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    if signature:
        request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    for alias, value in inputs.items():
        request.inputs[alias].CopyFrom(
            value if isinstance(value, type(request.inputs[alias])) else tf.make_tensor_proto(value))
    return request


def grpc_code(call):
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value.code(), raised.value.details()


def post(url, body, raw=False):
    data = body if raw else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def png(image):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


# --- protocol tests: kerastransfer-serve, and a real TF Serving when given -------------

@pytest.mark.parametrize("shape", [(1, 33, 47, 3), (2, 40, 52, 3), (1, 64, 64, 3)])
def test_grpc_predict_is_byte_identical_to_the_saved_model(target, stubs, shape):
    images = np.random.RandomState(sum(shape)).randint(0, 256, shape, dtype=np.uint8)
    response = stubs[0].Predict(predict_request(target.model, {"images": images}), timeout=60)
    served = tf.make_ndarray(response.outputs["images"])
    expected = in_process(target.saved_model, images=images)["images"]
    assert served.dtype == np.uint8 and served.shape == expected.shape
    assert served.tobytes() == expected.tobytes()
    assert response.model_spec.name == target.model


def test_grpc_serving_bytes_returns_the_same_png(target, stubs):
    encoded = np.array([png(random_image(37, 45, seed=5)), png(random_image(32, 32, seed=6))],
                       dtype=object)
    response = stubs[0].Predict(predict_request(target.model, {"image_bytes": encoded},
                                                "serving_bytes"), timeout=60)
    served = tf.make_ndarray(response.outputs["image_bytes"]).tolist()
    expected = in_process(target.saved_model, "serving_bytes", image_bytes=encoded)
    assert served == expected["image_bytes"].tolist()
    assert response.model_spec.signature_name == "serving_bytes"


def test_rest_b64_predict_returns_the_same_png(target):
    encoded = png(random_image(41, 35, seed=7))
    status, body = post(f"http://{target.rest}/v1/models/{target.model}:predict",
                        {"signature_name": "serving_bytes",
                         "instances": [{"b64": base64.b64encode(encoded).decode()}]})
    assert status == 200, body
    expected = in_process(target.saved_model, "serving_bytes",
                          image_bytes=np.array([encoded], dtype=object))["image_bytes"][0]
    assert base64.b64decode(body["predictions"][0]["b64"]) == expected


def test_rest_uint8_instances_match_the_saved_model(target):
    image = random_image(32, 35, seed=8)
    status, body = post(f"http://{target.rest}/v1/models/{target.model}:predict",
                        {"instances": [image.tolist()]})
    assert status == 200, body
    expected = in_process(target.saved_model, images=image[None])["images"]
    np.testing.assert_array_equal(np.array(body["predictions"], np.uint8), expected)


@pytest.mark.parametrize("protocol", ["grpc", "rest"])
def test_client_matches_the_saved_model(target, protocol):
    from kerastransfer.serving import client
    images = random_image(39, 50, seed=9)[None]
    address = target.grpc if protocol == "grpc" else target.rest
    with client.connect(address, protocol, timeout_s=60) as server:
        served = server.predict(target.model, images)
    np.testing.assert_array_equal(served, in_process(target.saved_model, images=images)["images"])


def test_unknown_model_and_version_are_not_found(target, stubs):
    images = random_image(32, 32)[None]
    for request in (predict_request("no_such_model", {"images": images}),
                    predict_request(target.model, {"images": images}, version=999999)):
        code, _ = grpc_code(lambda: stubs[0].Predict(request, timeout=60))
        assert code == grpc.StatusCode.NOT_FOUND
    status_request = get_model_status_pb2.GetModelStatusRequest()
    status_request.model_spec.name = "no_such_model"
    assert grpc_code(lambda: stubs[1].GetModelStatus(status_request, timeout=60))[0] == \
        grpc.StatusCode.NOT_FOUND
    assert get(f"http://{target.rest}/v1/models/no_such_model")[0] == 404
    status, body = post(f"http://{target.rest}/v1/models/{target.model}/versions/999999:predict",
                        {"instances": [random_image(32, 32).tolist()]})
    assert status == 404 and "error" in body


def test_unknown_signature_is_refused_as_tf_serving_does(target, stubs):
    request = predict_request(target.model, {"images": random_image(32, 32)[None]}, "no_such")
    code, details = grpc_code(lambda: stubs[0].Predict(request, timeout=60))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "no_such" in details
    status, body = post(f"http://{target.rest}/v1/models/{target.model}:predict",
                        {"signature_name": "no_such", "instances": [1]})
    assert status == 400 and "no_such" in body["error"]


def _corpus_file(name):
    from image_corpus import corpus
    return next(c.data for c in corpus() if c.name == name)


def _truncated_tensor():
    proto = tf.make_tensor_proto(random_image(32, 32)[None])
    proto.tensor_content = proto.tensor_content[:100]
    return proto


MALFORMED = {
    "truncated tensor content": ("", {"images": _truncated_tensor()}),
    "float instead of uint8": ("", {"images": np.zeros((1, 32, 32, 3), np.float32)}),
    "rank 3 image": ("", {"images": random_image(32, 32)}),
    "wrong input alias": ("", {"pixels": random_image(32, 32)[None]}),
    "image too small for the network": ("", {"images": random_image(1, 1)[None]}),
    "bytes that are no image": ("serving_bytes",
                                {"image_bytes": np.array([b"not an image"], dtype=object)}),
    "integers for image_bytes": ("serving_bytes",
                                 {"image_bytes": np.array([10**12], np.int64)}),
    **{f"{what} in image_bytes": ("serving_bytes", {"image_bytes": np.array(
        [png(random_image(32, 32)), _corpus_file(name)], dtype=object)})
       for what, name in [("empty file", "empty.jpg"), ("GIF", "animated.gif"),
                          ("truncated PNG", "truncated.png"),
                          ("truncated JPEG", "truncated.jpg"),
                          ("PNG header claiming 50000x50000", "bomb.png"),
                          ("GIF header claiming 50000x50000", "bomb.gif")]},
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_requests_are_invalid_argument(target, stubs, case):
    signature, inputs = MALFORMED[case]
    request = predict_request(target.model, inputs, signature)
    code, details = grpc_code(lambda: stubs[0].Predict(request, timeout=60))
    assert code == grpc.StatusCode.INVALID_ARGUMENT, details
    if target.local:  # one clear line, not TensorFlow's graph dump
        assert details and "\n" not in details and "Graph execution" not in details, details


def test_malformed_rest_bodies_are_bad_requests(target):
    url = f"http://{target.rest}/v1/models/{target.model}:predict"
    for body, raw in ((b"{not json", True), ({"instances": [[[[1, 2]], [[3]]]]}, False),
                      ({"instances": [[[[300, 0, 0]]]]}, False), ({"neither": 1}, False),
                      (b'{"instances": ' + b"[" * 50000 + b"]" * 50000 + b"}", True),
                      ({"signature_name": "serving_bytes", "instances": [{"b64": "@@"}]},
                       False)):
        status, answer = post(url, body, raw)
        assert status == 400 and answer["error"], (body, answer)


def test_oversize_encoded_image_is_refused_before_decoding(target, stubs):
    huge = io.BytesIO()
    Image.new("L", (4100, 4100)).save(huge, format="PNG")  # 16.8 Mpx, 16 kB of PNG
    request = predict_request(target.model, {"image_bytes": np.array([huge.getvalue()],
                                                                     dtype=object)},
                              "serving_bytes")
    code, details = grpc_code(lambda: stubs[0].Predict(request, timeout=60))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "4100" in details + "larger than", details


def test_concurrent_requests_each_get_their_own_answer(target, stubs):
    batches = [random_image(32 + i, 40 - i, seed=20 + i)[None] for i in range(8)]

    def one(images):
        response = stubs[0].Predict(predict_request(target.model, {"images": images}),
                                    timeout=120)
        return tf.make_ndarray(response.outputs["images"])

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        served = list(pool.map(one, batches))
    for images, answer in zip(batches, served):
        np.testing.assert_array_equal(answer, in_process(target.saved_model, images=images)["images"])


def test_status_and_metadata_over_grpc_and_rest(target, stubs):
    status_request = get_model_status_pb2.GetModelStatusRequest()
    status_request.model_spec.name = target.model
    versions = stubs[1].GetModelStatus(status_request, timeout=60).model_version_status
    available = [v.version for v in versions
                 if v.state == get_model_status_pb2.ModelVersionStatus.AVAILABLE]
    assert available

    metadata_request = get_model_metadata_pb2.GetModelMetadataRequest()
    metadata_request.model_spec.name = target.model
    metadata_request.metadata_field.append("signature_def")
    response = stubs[0].GetModelMetadata(metadata_request, timeout=60)
    signatures = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(signatures)
    images = signatures.signature_def["serving_default"].inputs["images"]
    assert images.dtype == tf.uint8.as_datatype_enum
    assert [d.size for d in images.tensor_shape.dim] == [-1, -1, -1, 3]
    assert "image_bytes" in signatures.signature_def["serving_bytes"].inputs

    code, body = get(f"http://{target.rest}/v1/models/{target.model}")
    assert code == 200
    assert {"version": str(max(available)), "state": "AVAILABLE",
            "status": {"error_code": "OK", "error_message": ""}} in body["model_version_status"]
    code, body = get(f"http://{target.rest}/v1/models/{target.model}/metadata")
    assert code == 200
    assert set(body["metadata"]["signature_def"]["signature_def"]) >= {"serving_default",
                                                                       "serving_bytes"}


# --- kerastransfer-serve only: its limits, live reloading, the client CLI ----------------

def test_oversize_tensors_get_resource_exhausted(local_server):
    with channel(local_server.grpc) as ch:
        predict = prediction_service_pb2_grpc.PredictionServiceStub(ch).Predict
        too_many_bytes = predict_request("tiny", {"images": np.zeros((1, 1200, 1200, 3),
                                                                     np.uint8)})
        code, _ = grpc_code(lambda: predict(too_many_bytes, timeout=60))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
        too_many_pixels = predict_request("tiny", {"images": np.zeros((1, 1000, 1001, 3),
                                                                      np.uint8)})
        code, details = grpc_code(lambda: predict(too_many_pixels, timeout=60))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and str(MAX_PIXELS) in details
    status, body = post(f"http://{local_server.rest}/v1/models/tiny:predict",
                        b"x" * (MAX_MESSAGE + 1), raw=True)
    assert status == 413 and "limit" in body["error"]


def test_a_chunked_body_is_refused_unread(local_server):
    """No Content-Length to check against the limit: refused before any of it is read."""
    import http.client
    host, port = local_server.rest.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    chunks = (b"x" * 65536 for _ in range(MAX_MESSAGE // 65536 + 2))
    try:
        connection.request("POST", "/v1/models/tiny:predict", body=chunks,
                           headers={"Content-Type": "application/json"}, encode_chunked=True)
        response = connection.getresponse()
        status, body = response.status, json.loads(response.read())
    except (BrokenPipeError, ConnectionResetError):
        status, body = 411, {"error": "Content-Length (connection closed while sending)"}
    finally:
        connection.close()
    assert status == 411 and "Content-Length" in body["error"]


def test_a_new_version_is_served_without_restart(local_server, models_tree, tiny_saved_model):
    from kerastransfer.serving import client
    from kerastransfer.serving.errors import ServingError
    fresh = models_tree / "models" / "fresh"
    copy_version(tiny_saved_model, fresh, 2)
    with client.GrpcClient(local_server.grpc, timeout_s=30) as server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = {s.version: s.state for s in server.status("fresh").model_version_status}
            if states.get(2) == get_model_status_pb2.ModelVersionStatus.AVAILABLE:
                break
            time.sleep(0.2)
        assert states.get(2) == get_model_status_pb2.ModelVersionStatus.AVAILABLE, states
        request = predict_request("fresh", {"images": random_image(32, 32)[None]})
        with channel(local_server.grpc) as ch:
            response = prediction_service_pb2_grpc.PredictionServiceStub(ch).Predict(
                request, timeout=60)
        assert response.model_spec.version.value == 2
        deadline = time.monotonic() + 30   # policy latest 1: version 1 is then unloaded
        while time.monotonic() < deadline:
            try:
                server.predict("fresh", random_image(32, 32)[None], version=1)
            except ServingError as e:
                assert e.code == grpc.StatusCode.NOT_FOUND
                break
            time.sleep(0.2)
        else:
            pytest.fail("version 1 was still served after version 2 arrived")


def test_remote_cli_stylises_a_file_through_the_server(local_server, tmp_path):
    source = tmp_path / "in.png"
    Image.fromarray(random_image(45, 37, seed=11)).save(source)
    out = tmp_path / "out.png"
    result = run_cli("kerastransfer.cli.remote", f"--server={local_server.rest}",
                     "--protocol=rest", "--model=tiny", f"--input={source}", f"--output={out}")
    assert result.returncode == 0, result.stderr
    expected = in_process(local_server.saved_model, images=random_image(45, 37, seed=11)[None])
    np.testing.assert_array_equal(np.asarray(Image.open(out)), expected["images"][0])

    result = run_cli("kerastransfer.cli.remote", f"--server={local_server.grpc}", "--model=nope",
                     f"--input={source}", f"--output={tmp_path / 'nope.png'}")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "NOT_FOUND" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "nope.png").exists()


# --- the model config: TF Serving's text format, parsed with its own proto -------------

def test_model_config_version_policies(tmp_path):
    from kerastransfer.serving import model_config
    path = tmp_path / "models.config"
    path.write_text("""model_config_list {
      config { name: "a" base_path: "/m/a" model_platform: "tensorflow" }
      config { name: "b" base_path: "/m/b" model_version_policy { latest { num_versions: 2 } } }
      config { name: "c" base_path: "/m/c" model_version_policy { specific { versions: 3 } }
               version_labels { key: "stable" value: 3 } }
      config { name: "d" base_path: "/m/d" model_version_policy { all {} } }
    }""")
    a, b, c, d = model_config.read_model_config(str(path))
    on_disk = {1, 3, 7}
    assert a.aspired_versions(on_disk) == {7}
    assert b.aspired_versions(on_disk) == {3, 7}
    assert c.aspired_versions(on_disk) == {3} and c.version_for_label("stable") == 3
    assert d.aspired_versions(on_disk) == on_disk
    assert a.aspired_versions(set()) == set()


def test_a_bad_model_config_is_one_line_naming_the_file(tmp_path):
    from kerastransfer.serving import model_config
    path = tmp_path / "bad.config"
    path.write_text("model_config_list { config { nme: 'x' } }")
    with pytest.raises(model_config.ConfigError, match="bad.config"):
        model_config.read_model_config(str(path))
    with pytest.raises(model_config.ConfigError, match="either"):
        model_config.model_sources(str(path), "x", "/m/x")


SHIPPED = sorted(n for n in os.listdir(os.path.join(REPO, "saved_models"))
                 if os.path.isdir(os.path.join(REPO, "saved_models", n)))


@pytest.fixture(scope="module")
def shipped_server():
    """kerastransfer-serve with no model flags: every model under saved_models/."""
    yield from start_server()


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_is_byte_identical_through_plain_stubs(shipped_server, name):
    from kerastransfer import artifact
    grpc_address, _ = shipped_server
    images = random_image(37, 41, seed=11)[None]
    with channel(grpc_address) as ch:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(ch)
        response = stub.Predict(predict_request(name, {"images": images}), timeout=120)
    served = tf.make_ndarray(response.outputs["images"])
    expected = in_process(artifact.resolve(name), images=images)["images"]
    assert served.dtype == np.uint8 and served.tobytes() == expected.tobytes()


# --- the same photo by every route; the curl recipe; start-up refusals ------------------

def test_a_jpeg_by_rest_file_and_by_grpc_client_gives_the_same_pixels(target, tmp_path):
    """The curl route (request file, REST serving_bytes decoding the JPEG in the graph,
    reply file) and the gRPC client (Pillow decoding, serving_default) agree exactly."""
    photo = np.asarray(tf.image.resize(random_image(12, 16, seed=3), (90, 120)), np.uint8)
    source = tmp_path / "photo.jpg"
    Image.fromarray(photo).save(source, quality=90)
    assert not np.array_equal(tf.io.decode_jpeg(source.read_bytes()).numpy(),
                              np.asarray(Image.open(source)))  # the fast DCT would differ
    request_file, reply_file = tmp_path / "request.json", tmp_path / "reply.json"
    written = run_cli("kerastransfer.cli.remote", f"--input={source}",
                      f"--write_request={request_file}")
    assert written.returncode == 0, written.stderr
    status, reply = post(f"http://{target.rest}/v1/models/{target.model}:predict",
                         request_file.read_bytes(), raw=True)
    assert status == 200, reply
    reply_file.write_text(json.dumps(reply))
    read = run_cli("kerastransfer.cli.remote", f"--read_reply={reply_file}",
                   f"--output={tmp_path / 'rest.png'}")
    assert read.returncode == 0, read.stderr
    sent = run_cli("kerastransfer.cli.remote", f"--server={target.grpc}",
                   f"--model={target.model}", f"--input={source}",
                   f"--output={tmp_path / 'grpc.png'}")
    assert sent.returncode == 0, sent.stderr
    rest, by_grpc = (np.asarray(Image.open(tmp_path / f)) for f in ("rest.png", "grpc.png"))
    np.testing.assert_array_equal(rest, by_grpc)


def test_reply_file_errors_are_one_line(tmp_path):
    reply = tmp_path / "reply.json"
    for content, fragment in [('{"error": "Servable not found"}', "Servable not found"),
                              ("<html>", "reply.json"), ('{"predictions": [{}]}', "serving_bytes")]:
        reply.write_text(content)
        result = run_cli("kerastransfer.cli.remote", f"--read_reply={reply}",
                         f"--output={tmp_path / 'o.png'}")
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr
        assert not (tmp_path / "o.png").exists()


def test_serve_refuses_a_base_path_that_does_not_exist(tmp_path):
    result = run_cli("kerastransfer.cli.serve", f"--model_base_path={tmp_path / 'nodir'}",
                     "--port=0", "--rest_api_port=0")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: {tmp_path / 'nodir'}: no such folder (--model_base_path)"
    config = tmp_path / "models.config"
    config.write_text(f'model_config_list {{ config {{ name: "m" base_path: "{tmp_path / "gone"}" }} }}')
    result = run_cli("kerastransfer.cli.serve", f"--model_config_file={config}", "--port=0")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'gone'}: no such folder (base_path of model m in {config})"]


def test_serve_listens_on_loopback_by_default(models_tree):
    process = subprocess.Popen(
        [sys.executable, "-m", "kerastransfer.cli.serve", "--port=0", "--rest_api_port=0",
         "--model_name=tiny", f"--model_base_path={models_tree / 'models' / 'tiny'}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    try:
        ready = process.stdout.readline()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert "gRPC on 127.0.0.1:" in ready, ready + process.stderr.read()

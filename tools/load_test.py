"""Load test: N requests at concurrency C against a TF Serving-compatible server (a real
tensorflow_model_server or kerastransfer-serve), compared with the same SavedModel
called in this process at the same concurrency.

    kerastransfer-serve --model_name=udnie --model_base_path=saved_models/udnie &
    python tools/load_test.py --server=localhost:8500 --protocol=grpc --model=udnie \\
        --requests=2000 --concurrency=16 --size=256

gRPC requests go to `serving_default` (uint8 tensors), REST requests to `serving_bytes`
(base64 PNG); the in-process run uses the same signature with the same inputs, so the
ratio is the cost of the server and its protocol. Prints a Markdown table: throughput,
p50/p95/p99 latency, errors by status code, and whether the server still answers after.
"""
import collections
import concurrent.futures
import json
import time

import numpy as np
from absl import app, flags

flags.DEFINE_string("server", None, "host:port of the gRPC port (or REST port with "
                    "--protocol=rest).")
flags.DEFINE_enum("protocol", "grpc", ["grpc", "rest"], "Protocol to load.")
flags.DEFINE_string("model", "udnie", "Model name on the server.")
flags.DEFINE_string("saved_model", None, "SavedModel (path or shipped name) for the "
                    "in-process comparison; default: --model.")
flags.DEFINE_integer("requests", 2000, "Requests to send (>= 1).")
flags.DEFINE_integer("concurrency", 16, "Requests in flight at once (>= 1).")
flags.DEFINE_integer("size", 256, "Height and width of the test images in pixels (>= 32).")
flags.DEFINE_integer("warmup", 8, "Untimed requests first, for tracing and caches.")
flags.DEFINE_float("timeout", 120.0, "Per-request deadline in seconds.")
flags.DEFINE_bool("in_process", True, "Also measure the SavedModel in this process.")
flags.DEFINE_string("json", None, "Also write the results to this JSON file.")
FLAGS = flags.FLAGS

DISTINCT_IMAGES = 8


def test_payloads(size):
    """(uint8 [1, size, size, 3], the same image as PNG) pairs, a few distinct ones."""
    from kerastransfer.serving.client import encode_png
    rng = np.random.RandomState(0)
    images = [rng.randint(0, 256, (1, size, size, 3), dtype=np.uint8)
              for _ in range(DISTINCT_IMAGES)]
    return [(image, encode_png(image[0])) for image in images]


def run_load(call, payloads, requests, concurrency):
    """Calls `call(payload)` `requests` times from `concurrency` threads; returns
    (wall seconds, latencies of successes in ms, Counter of error codes)."""
    latencies, failures = [], collections.Counter()

    def one(i):
        start = time.perf_counter()
        try:
            call(payloads[i % len(payloads)])
        except Exception as e:  # counted, not fatal: the point is to see them
            code = getattr(e, "code", None)
            return None, getattr(code, "name", type(e).__name__)
        return (time.perf_counter() - start) * 1000.0, None

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for latency, error in pool.map(one, range(requests)):
            if error:
                failures[error] += 1
            else:
                latencies.append(latency)
    return time.perf_counter() - start, latencies, failures


def summary(name, wall_s, latencies, failures):
    p50, p95, p99 = (np.percentile(latencies, [50, 95, 99]) if latencies else [float("nan")] * 3)
    return {"path": name, "ok": len(latencies), "errors": dict(failures),
            "wall_s": wall_s, "throughput": len(latencies) / wall_s,
            "p50_ms": float(p50), "p95_ms": float(p95), "p99_ms": float(p99)}


def server_call():
    """(client, call(payload)) for the server: uint8 tensors over gRPC, PNG over REST."""
    from kerastransfer.serving import client
    server = client.connect(FLAGS.server, FLAGS.protocol, timeout_s=FLAGS.timeout, retries=0)
    if FLAGS.protocol == "grpc":
        return server, lambda payload: server.predict(FLAGS.model, payload[0])
    return server, lambda payload: server.predict_encoded(FLAGS.model, [payload[1]])


def in_process_call():
    """call(payload) running the same signature on the SavedModel in this process."""
    import tensorflow as tf
    from kerastransfer import artifact
    loaded = tf.saved_model.load(artifact.resolve(FLAGS.saved_model or FLAGS.model))
    if FLAGS.protocol == "grpc":
        serve = loaded.signatures["serving_default"]
        return lambda payload: serve(images=tf.constant(payload[0]))["images"].numpy()
    serve = loaded.signatures["serving_bytes"]
    return lambda payload: serve(image_bytes=tf.constant([payload[1]]))["image_bytes"].numpy()


def markdown(rows):
    lines = ["| path | requests ok | errors | throughput (img/s) | p50 ms | p95 ms | p99 ms |",
             "|---|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(r["errors"].items())) or "0"
        lines.append(f"| {r['path']} | {r['ok']} | {errors} | {r['throughput']:.1f} | "
                     f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} |")
    return "\n".join(lines)


def main(argv):
    del argv
    if not FLAGS.server:
        raise app.UsageError("--server is required (host:port)")
    if FLAGS.requests < 1 or FLAGS.concurrency < 1 or FLAGS.size < 32:
        raise app.UsageError("--requests and --concurrency must be >= 1, --size >= 32")
    from kerastransfer.cli.common import import_tensorflow_quietly
    import_tensorflow_quietly()

    payloads = test_payloads(FLAGS.size)
    rows = []
    server, call = server_call()
    run_load(call, payloads, FLAGS.warmup, FLAGS.concurrency)
    rows.append(summary(f"{FLAGS.protocol} {FLAGS.server}",
                        *run_load(call, payloads, FLAGS.requests, FLAGS.concurrency)))
    try:
        call(payloads[0])
        answers_after = True
    except Exception:
        answers_after = False
    server.close()
    if FLAGS.in_process:
        local = in_process_call()
        run_load(local, payloads, FLAGS.warmup, FLAGS.concurrency)
        rows.append(summary("in-process SavedModel",
                            *run_load(local, payloads, FLAGS.requests, FLAGS.concurrency)))
    print(f"{FLAGS.requests} requests at concurrency {FLAGS.concurrency}, "
          f"{FLAGS.size}x{FLAGS.size} images, model {FLAGS.model}\n")
    print(markdown(rows))
    if len(rows) == 2:
        print(f"\nserver / in-process throughput: {rows[0]['throughput'] / rows[1]['throughput']:.2f}")
    print(f"server answers after the load: {'yes' if answers_after else 'NO'}")
    if FLAGS.json:
        with open(FLAGS.json, "w") as f:
            json.dump({"rows": rows, "answers_after": answers_after,
                       "requests": FLAGS.requests, "concurrency": FLAGS.concurrency,
                       "size": FLAGS.size}, f, indent=2)


if __name__ == "__main__":
    app.run(main)

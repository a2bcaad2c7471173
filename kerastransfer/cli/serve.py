"""kerastransfer-serve: a TF Serving-compatible server for machines without TF Serving.

  kerastransfer-serve --model_name=udnie --model_base_path=saved_models/udnie
  kerastransfer-serve --model_config_file=serving/models.config --port=8500 --rest_api_port=8501
  kerastransfer-serve          # every model under saved_models/
  kerastransfer-serve --host=0.0.0.0   # in a container: listen on every interface

Same gRPC (PredictionService, ModelService) and REST (/v1/models/...) surface and the same
main flags as tensorflow_model_server; the newest version of each model is served and
new versions are picked up while running. Stops cleanly on SIGTERM or Ctrl-C.
"""
import signal
import sys
import threading

from absl import flags

from kerastransfer.cli.common import UsageError, check, main_wrapper, run_app

flags.DEFINE_integer("port", 8500, "gRPC port (1-65535; 0 = any free port).")
flags.DEFINE_integer("rest_api_port", 8501, "REST port (0 = no REST API, as in "
                     "tensorflow_model_server).")
flags.DEFINE_string("host", "127.0.0.1", "Address to listen on: 127.0.0.1 (the default) "
                    "answers this machine only; 0.0.0.0 answers every interface, as a "
                    "container must for its published ports to reach it.")
flags.DEFINE_string("model_config_file", None, "TF Serving model config (text format) listing "
                    "the models; overrides --model_name/--model_base_path.")
flags.DEFINE_string("model_name", "default", "Name of the model given by --model_base_path.")
flags.DEFINE_string("model_base_path", None, "Folder of integer-named SavedModel versions. "
                    "With neither this nor --model_config_file, every model under "
                    "saved_models/ is served.")
flags.DEFINE_integer("file_system_poll_wait_seconds", 1, "Seconds between scans for new or "
                     "removed versions (0 = scan only at start).")
flags.DEFINE_integer("grpc_max_message_size", 64 * 1024 * 1024, "Largest gRPC request or "
                     "response in bytes (>= 1024); larger ones get RESOURCE_EXHAUSTED.")
flags.DEFINE_integer("rest_api_max_request_bytes", 96 * 1024 * 1024, "Largest REST request "
                     "body in bytes (>= 1024); larger ones get HTTP 413.")
flags.DEFINE_integer("max_request_pixels", None, "Most pixels (batch × height × width) one "
                     "request may ask for; default the exported models' own limit (4096²).")
flags.DEFINE_integer("request_timeout_ms", 30000, "Deadline for one prediction in ms "
                     "(>= 1); a client's shorter gRPC deadline wins.")
flags.DEFINE_integer("num_workers", 4, "Predictions run at once (>= 1).")
flags.DEFINE_integer("max_queued_requests", 64, "Predictions that may wait for a worker "
                     "(>= 0); more get RESOURCE_EXHAUSTED at once.")
flags.DEFINE_integer("grpc_max_threads", 32, "Threads handling gRPC calls (>= 1).")
flags.DEFINE_integer("rest_api_num_threads", 16, "Threads handling REST requests (>= 1).")
FLAGS = flags.FLAGS


def options_from_flags():
    from kerastransfer.artifact import MAX_REQUEST_PIXELS
    from kerastransfer.serving.core import Limits
    from kerastransfer.serving.server import ServerOptions

    check(0 <= FLAGS.port <= 65535, f"--port must be in [0, 65535], got {FLAGS.port}")
    check(0 <= FLAGS.rest_api_port <= 65535,
          f"--rest_api_port must be in [0, 65535], got {FLAGS.rest_api_port}")
    check(FLAGS.grpc_max_message_size >= 1024, "--grpc_max_message_size must be >= 1024")
    check(FLAGS.rest_api_max_request_bytes >= 1024, "--rest_api_max_request_bytes must be >= 1024")
    pixels = FLAGS.max_request_pixels or MAX_REQUEST_PIXELS
    check(pixels >= 1024, "--max_request_pixels must be >= 1024")
    check(FLAGS.request_timeout_ms >= 1, "--request_timeout_ms must be >= 1")
    check(FLAGS.num_workers >= 1, "--num_workers must be >= 1")
    check(FLAGS.max_queued_requests >= 0, "--max_queued_requests must be >= 0")
    check(FLAGS.grpc_max_threads >= 1, "--grpc_max_threads must be >= 1")
    check(FLAGS.rest_api_num_threads >= 1, "--rest_api_num_threads must be >= 1")
    check(FLAGS.file_system_poll_wait_seconds >= 0,
          "--file_system_poll_wait_seconds must be >= 0")
    return ServerOptions(
        host=FLAGS.host, grpc_port=FLAGS.port, rest_port=FLAGS.rest_api_port,
        limits=Limits(max_request_pixels=pixels,
                      max_request_bytes=FLAGS.rest_api_max_request_bytes,
                      timeout_s=FLAGS.request_timeout_ms / 1000.0),
        grpc_max_message_bytes=FLAGS.grpc_max_message_size, num_workers=FLAGS.num_workers,
        max_queued_requests=FLAGS.max_queued_requests, grpc_max_threads=FLAGS.grpc_max_threads,
        rest_num_threads=FLAGS.rest_api_num_threads,
        poll_seconds=FLAGS.file_system_poll_wait_seconds)


def stop_on_signals():
    """An Event set by SIGTERM or SIGINT (installed before listening, so an early
    signal also shuts down cleanly)."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@main_wrapper
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    options = options_from_flags()
    try:
        from kerastransfer.serving import model_config
        from kerastransfer.serving.server import ModelServer
    except ImportError as e:
        raise UsageError(f"serving needs tensorflow-serving-api and werkzeug, which "
                         f"kerastransfer installs; reinstall it ({e})")
    try:
        sources = model_config.model_sources(FLAGS.model_config_file, FLAGS.model_name,
                                             FLAGS.model_base_path)
    except model_config.ConfigError as e:
        raise UsageError(str(e))
    stop = stop_on_signals()
    server = ModelServer(sources, options)
    try:
        server.start()
    except OSError as e:
        server.stop()
        sys.exit(f"error: {e}")
    loaded = server.repository.loaded_versions()
    models = ", ".join(f"{name} (versions {', '.join(map(str, v)) or 'none yet'})"
                       for name, v in loaded.items())
    rest = f"REST on {options.host}:{server.rest_port}" if server.rest_port else "no REST"
    print(f"kerastransfer-serve: serving {models}; gRPC on {options.host}:{server.grpc_port}; "
          f"{rest}", flush=True)
    while not stop.wait(3600):
        pass
    print("kerastransfer-serve: shutting down", flush=True)
    server.stop()


def run():
    run_app(main)


if __name__ == "__main__":
    run()

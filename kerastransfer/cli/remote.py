"""kerastransfer-remote: stylise or upscale an image through a model server.

  kerastransfer-remote --server=localhost:8500 --model=udnie --input=photo.jpg --output=styled.png
  kerastransfer-remote --server=localhost:8501 --protocol=rest --model=sr_x4 --input=small.png --output=big.png

The server may be tensorflow_model_server or kerastransfer-serve; the model does the
work, so the same command stylises or upscales.

For curl or any other HTTP client, write the REST request body to a file, and read the
PNG out of the saved reply (neither step talks to a server):

  kerastransfer-remote --input=photo.jpg --write_request=request.json
  curl -s -d @request.json -o reply.json localhost:8501/v1/models/udnie:predict
  kerastransfer-remote --read_reply=reply.json --output=styled.png
"""
import os
import sys

from absl import flags

from kerastransfer.cli.common import UsageError, check, main_wrapper, run_app

flags.DEFINE_string("server", "localhost:8500", "host:port of the server's gRPC port "
                    "(or REST port with --protocol=rest).")
flags.DEFINE_enum("protocol", "grpc", ["grpc", "rest"], "gRPC (serving_default, uint8 tensors) "
                  "or REST (serving_bytes, base64 PNG).")
flags.DEFINE_string("model", None, "Model name on the server (e.g. udnie, sr_x4).")
flags.DEFINE_integer("version", None, "Model version (default: the newest the server has).")
flags.DEFINE_string("input", None, "Image file to send (.jpg/.jpeg/.png/...).")
flags.DEFINE_string("output", None, "Where to write the result (.png/.jpg/.webp/.bmp).")
flags.DEFINE_float("timeout", 60.0, "Seconds to wait for the answer (> 0).")
flags.DEFINE_integer("retries", 3, "Further attempts while the server is unavailable (>= 0).")
flags.DEFINE_bool("overwrite", False, "Replace --output if it exists.")
flags.DEFINE_string("write_request", None, "Instead of sending --input, write the REST "
                    "predict body for it (serving_bytes, base64) to this JSON file, for "
                    "`curl -d @FILE`.")
flags.DEFINE_string("read_reply", None, "Instead of sending anything, decode a saved REST "
                    "predict reply (JSON from serving_bytes) into --output.")
FLAGS = flags.FLAGS


def write_request():
    """--write_request: the body for --input, which must be a JPEG or PNG (what
    serving_bytes decodes), sent as the file's own bytes."""
    import json
    from kerastransfer import image_io
    check(not FLAGS.read_reply, "give --write_request or --read_reply, not both")
    check(FLAGS.input, "--input is required")
    with open(FLAGS.input, "rb") as f:
        data = f.read()
    image_io.probe_image(FLAGS.input)
    check(data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n",
          f"{FLAGS.input}: the REST signature takes JPEG or PNG; convert it, or send it "
          "with this command (which sends pixels)")
    from kerastransfer.serving import client
    if os.path.exists(FLAGS.write_request) and not FLAGS.overwrite:
        raise image_io.ImageError(f"{FLAGS.write_request}: already exists (use --overwrite "
                                  "to replace it)")
    image_io.write_text(FLAGS.write_request, json.dumps(client.rest_request_body([data])))
    print(f"wrote {FLAGS.write_request} ({len(data)} bytes of image); send it with: "
          f"curl -s -d @{FLAGS.write_request} -o reply.json "
          f"HOST:8501/v1/models/MODEL:predict")


def read_reply():
    """--read_reply: the reply's first image, written to --output in its format."""
    import json
    from kerastransfer import image_io
    from kerastransfer.serving import client
    check(FLAGS.output, "--output is required")
    image_io.image_format(FLAGS.output)
    try:
        with open(FLAGS.read_reply, "rb") as f:
            reply = json.loads(f.read())
        encoded = client.encoded_images_of_reply(reply)
    except ValueError as e:  # JSONDecodeError is one
        raise UsageError(f"{FLAGS.read_reply}: {e}")
    check(encoded, f"{FLAGS.read_reply}: the reply holds no image")
    image = image_io.decode_image(encoded[0], FLAGS.read_reply)
    image_io.write_image(FLAGS.output, image, overwrite=FLAGS.overwrite)
    print(f"wrote {FLAGS.output} ({image.shape[1]}x{image.shape[0]})")


def file_modes():
    """--write_request and --read_reply touch only files: done before TensorFlow loads."""
    if FLAGS.write_request or FLAGS.read_reply:
        write_request() if FLAGS.write_request else read_reply()
        sys.exit(0)


@main_wrapper(before_tensorflow=file_modes)
def main(argv):
    check(len(argv) == 1, f"unexpected arguments: {' '.join(argv[1:])}")
    check(FLAGS.model, "--model is required (the model's name on the server)")
    check(FLAGS.input, "--input is required")
    check(FLAGS.output, "--output is required")
    check(FLAGS.timeout > 0, f"--timeout must be > 0, got {FLAGS.timeout}")
    check(FLAGS.retries >= 0, f"--retries must be >= 0, got {FLAGS.retries}")
    check(FLAGS.version is None or FLAGS.version >= 0, "--version must be >= 0")
    from kerastransfer.serving import client
    from kerastransfer.serving.errors import ServingError
    with client.connect(FLAGS.server, FLAGS.protocol, timeout_s=FLAGS.timeout,
                        retries=FLAGS.retries) as server:
        try:
            shape = client.transform_file(server, FLAGS.model, FLAGS.input, FLAGS.output,
                                          FLAGS.version, FLAGS.overwrite)
        except ServingError as e:
            sys.exit(f"error: {FLAGS.server}: {e}")
    print(f"wrote {FLAGS.output} ({shape[1]}x{shape[0]})")


def run():
    run_app(main)


if __name__ == "__main__":
    run()

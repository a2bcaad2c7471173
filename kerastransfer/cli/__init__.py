"""The command lines: thin absl scripts over the library (`--help` on each lists its flags).

TensorFlow's C++ start-up messages are silenced here, once, before any command can import
it; `common.main_wrapper` hides the rest.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is imported

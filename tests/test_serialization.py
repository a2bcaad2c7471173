"""Every layer and network serialises itself: a config round trip each, through the one
helper `run_serialization_test`, and a record's network rebuilt in a fresh process."""
import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from conftest import REPO, run_serialization_test
from kerastransfer.artifact import ModelRecord
from kerastransfer.models import layers
from kerastransfer.models.sr_net import SuperResolutionNet
from kerastransfer.models.transformer_net import TransformerNet

CASES = {
    "InstanceNormalization": lambda: layers.InstanceNormalization(epsilon=1e-3,
                                                                  divide_by_std=False),
    # needs its convolution's kernel, so it is tested inside the ConvLayer that owns it
    "WeightDemodulation": lambda: layers.ConvLayer(4, 3, normalization="demodulated"),
    "ReflectionPadding2D": lambda: layers.ReflectionPadding2D(3),
    "ConvLayer": lambda: layers.ConvLayer(4, 3, strides=2, padding="same",
                                          normalization="batch", activation=False),
    "ResidualBlock": lambda: layers.ResidualBlock(8, padding="valid",
                                                  normalization="centred"),
    "UpsampleConvLayer": lambda: layers.UpsampleConvLayer(4, 3, upsampling="transpose"),
    "ScaledTanh": lambda: layers.ScaledTanh(),
    "PixelHead": lambda: layers.PixelHead("clip"),
    "TransformerNet": lambda: TransformerNet(width=0.125, output_head="linear",
                                             decoder_normalization="centred"),
    "SuperResolutionNet": lambda: SuperResolutionNet(scale=2, filters=4, residual=True),
}
INPUT_SHAPES = {"TransformerNet": (1, 36, 36, 3), "SuperResolutionNet": (1, 12, 12, 3)}


def test_every_registered_layer_has_a_case():
    registered = {name.split(">")[1] for name in keras.saving.get_custom_objects()
                  if name.startswith("kerastransfer>")}
    assert registered == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip(name):
    keras.utils.set_random_seed(0)
    run_serialization_test(CASES[name](), INPUT_SHAPES.get(name, (1, 36, 36, 8)))


REBUILD = """
import json, sys
import numpy as np
from kerastransfer.artifact import ModelRecord
from kerastransfer.models import deserialize_network
record = ModelRecord.from_json(json.load(open(sys.argv[1])))
network = deserialize_network(record.network)
network(np.zeros((1, 32, 32, 3), np.float32))
network.load_weights(sys.argv[2])
np.save(sys.argv[3], np.asarray(network(np.load(sys.argv[4]))))
print(type(network).__name__, json.dumps(network.get_config(), sort_keys=True))
"""


def test_a_records_network_rebuilds_the_same_network_in_a_fresh_process(tmp_path):
    keras.utils.set_random_seed(3)
    network = TransformerNet(width=0.125, padding="paper", output_head="clip",
                             name="transformer")
    images = np.random.RandomState(1).uniform(0, 255, (1, 40, 36, 3)).astype(np.float32)
    expected = np.asarray(network(images))
    record = ModelRecord(task="style", name="t",
                         network=keras.saving.serialize_keras_object(network))
    (tmp_path / "record.json").write_text(json.dumps(record.to_json()))
    network.save_weights(str(tmp_path / "w.weights.h5"))
    np.save(tmp_path / "images.npy", images)
    result = subprocess.run(
        [sys.executable, "-c", REBUILD, str(tmp_path / "record.json"),
         str(tmp_path / "w.weights.h5"), str(tmp_path / "out.npy"), str(tmp_path / "images.npy")],
        capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    class_name, config = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert class_name == "TransformerNet"
    assert json.loads(config) == json.loads(json.dumps(network.get_config()))
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-3)


def test_an_older_records_bare_network_config_is_read_by_its_task():
    old = {"task": "super_resolution", "name": "sr", "scale": 2,
           "network": {"scale": 2, "filters": 4, "normalization": "batch"}}
    record = ModelRecord.from_json(old)
    network = keras.saving.deserialize_keras_object(record.network)
    assert isinstance(network, SuperResolutionNet) and network.filters == 4
    assert record.network_config == old["network"]
    assert ModelRecord.from_json(record.to_json()) == record


def test_only_kerastransfer_networks_are_rebuilt_from_a_record():
    from kerastransfer.models import deserialize_network
    with pytest.raises(ValueError, match="not a kerastransfer network"):
        deserialize_network({"module": "os", "class_name": "system", "config": {}})

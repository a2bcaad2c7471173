"""Warm starts (`--init_from`): a new run's network begins with an exported model's
weights, so a run on another machine continues from a shipped model, a style run starts
from a content-only network, or an ℓfeat run from an ℓpixel one. Both recipes use it."""
from kerastransfer import artifact

IGNORED_KEYS = {"name", "trainable", "dtype"}


def source_record(model_name_or_path, task, kind):
    """The record of the model to start from; ValueError unless it is a `task` model
    (`kind`: how the message names that task) holding its network's configuration."""
    record = artifact.read_record(artifact.resolve(model_name_or_path))
    if record.task != task:
        raise ValueError(f"--init_from={model_name_or_path}: not a {kind} model")
    if not record.network:
        raise ValueError(f"--init_from={model_name_or_path}: its record has no network "
                         "configuration")
    return record


def check_same_network(model_name_or_path, record, network):
    """ValueError naming the first argument of `network`'s config (a Keras model, built
    or not) that the recorded network does not share: only then can it take its weights."""
    from kerastransfer.models import deserialize_network
    mine, theirs = network.get_config(), deserialize_network(record.network).get_config()
    for key in sorted(mine.keys() - IGNORED_KEYS):
        if mine.get(key) != theirs.get(key):
            raise ValueError(f"--init_from={model_name_or_path}: its network has "
                             f"{key}={theirs.get(key)!r}, this run {key}={mine.get(key)!r}")


def copy_weights(model_name_or_path, network):
    """Sets the built `network`'s weights to the exported model's."""
    from kerastransfer.inference.exported_model import ExportedModel
    network.set_weights(ExportedModel(model_name_or_path).keras_network().get_weights())

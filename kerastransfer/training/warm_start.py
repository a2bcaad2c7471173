"""Warm starts (`--init_from`): a new run's network begins with an exported model's
weights, so a run on another machine continues from a shipped model, a style run starts
from a content-only network, or an ℓfeat run from an ℓpixel one. Both recipes use it.

`CONTENT_ONLY` names the network shipped beside this module (`content_only.keras`, a
`keras.saving` file): the default style network trained with style weight 0 for 300
steps (`tools/train_zoo/content_only.flags`), so it already reproduces the photo. A style
run that starts from it skips the phase in which a network from scratch learns to pass
the photo through, and in the recipe's ablations it was the largest single gain
(docs/training_recipe.md)."""
import json
import os

from kerastransfer import artifact, image_io

IGNORED_KEYS = {"name", "trainable", "dtype"}
CONTENT_ONLY = "content_only"
CONTENT_ONLY_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "content_only.keras")


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


def recorded_network(record):
    """The (unbuilt) network a record describes."""
    from kerastransfer.models import deserialize_network
    return deserialize_network(record.network)


def network_mismatch(theirs, mine):
    """The first argument of `mine`'s config (a Keras model, built or not) that `theirs`
    does not share, as "key=theirs, this run key=mine", or None: only a network with none
    can take the other's weights."""
    mine, theirs = mine.get_config(), theirs.get_config()
    for key in sorted(mine.keys() - IGNORED_KEYS):
        if mine.get(key) != theirs.get(key):
            return f"{key}={theirs.get(key)!r}, this run {key}={mine.get(key)!r}"
    return None


def check_same_network(model_name_or_path, theirs, mine):
    """ValueError naming the first argument in which network `mine` differs from
    `theirs`, the network of `--init_from=model_name_or_path`."""
    mismatch = network_mismatch(theirs, mine)
    if mismatch:
        raise ValueError(f"--init_from={model_name_or_path}: its network has {mismatch}")


def content_only_network():
    """The shipped content-only style network, built, with its weights."""
    import keras
    from kerastransfer.models import transformer_net  # noqa: F401  (registers the class)
    if not os.path.exists(CONTENT_ONLY_FILE):
        raise ValueError(f"{CONTENT_ONLY_FILE}: the shipped content-only network is missing; "
                         "reinstall kerastransfer, or give --init_from=none")
    return keras.saving.load_model(CONTENT_ONLY_FILE, compile=False)


def source_network(model_name_or_path):
    """The built network whose weights a run takes: the content-only network for
    `CONTENT_ONLY`, else the exported model's."""
    if model_name_or_path == CONTENT_ONLY:
        return content_only_network()
    from kerastransfer.inference.exported_model import ExportedModel
    return ExportedModel(model_name_or_path).keras_network()


def copy_weights(model_name_or_path, network):
    """Sets the built `network`'s weights to those of `source_network(model_name_or_path)`."""
    network.set_weights(source_network(model_name_or_path).get_weights())



STARTED_FROM_FILE = "warm_start.json"


def source_label(model_name_or_path):
    """How a record names the model a run started from: NAME/VERSION for a shipped name,
    since the name alone later means a newer version; a path, `CONTENT_ONLY` or None as
    given."""
    if model_name_or_path in (None, CONTENT_ONLY) or os.sep in model_name_or_path:
        return model_name_or_path
    path = artifact.resolve(model_name_or_path)
    if os.path.dirname(os.path.dirname(os.path.abspath(path))) != os.path.abspath(
            artifact.models_root()):
        return model_name_or_path
    return f"{model_name_or_path}/{os.path.basename(path)}"


def started_from(output_dir, resolve):
    """The warm start of the run in `output_dir` (a model name or path, None: scratch). Its
    first start calls `resolve()` (which checks its --init_from) and keeps the answer,
    with its `source_label`, beside the checkpoints; every later start reads it back, so
    a resume neither re-checks --init_from (the model may be gone) nor changes what the
    record says."""
    path = os.path.join(output_dir, STARTED_FROM_FILE)
    if os.path.exists(path):
        return kept_start(output_dir)["init_from"]
    source = resolve()
    os.makedirs(output_dir, exist_ok=True)
    image_io.write_json(path, {"init_from": source, "label": source_label(source),
                               "steps_before": steps_before(source)})
    return source


def steps_before(model_name_or_path):
    """How many training steps a model's weights already carry (its record's
    `steps_in_all`); 0 from scratch or from `CONTENT_ONLY`, which has not seen a style."""
    if model_name_or_path in (None, CONTENT_ONLY):
        return 0
    return artifact.read_record(artifact.resolve(model_name_or_path)).steps_in_all


def started_from_label(output_dir):
    """The `source_label` kept by `started_from` for the run in `output_dir` (runs from
    before labels were kept: their --init_from as given)."""
    kept = kept_start(output_dir)
    return kept.get("label", kept["init_from"])


def kept_start(output_dir):
    """What `started_from` kept for the run in `output_dir`."""
    with open(os.path.join(output_dir, STARTED_FROM_FILE)) as f:
        return json.load(f)


def lineage_fields(output_dir, steps):
    """The record's `init_from` (where the run in `output_dir` started; absent from
    scratch) and `steps_in_all` (its `steps` plus those its warm start already had, so a
    model trained in stages says how much training it has had; absent for a run started
    before `started_from` kept that count)."""
    kept = kept_start(output_dir)
    fields = {}
    if kept["init_from"] is not None:
        fields["init_from"] = started_from_label(output_dir)
    if kept.get("steps_before") is not None:
        fields["steps_in_all"] = steps + kept["steps_before"]
    return fields

"""Which models to serve, from the same inputs `tensorflow_model_server` takes.

Either a model config file in TF Serving's text format (`model_config_list { config {
name: ... base_path: ... model_version_policy { latest { num_versions: 1 } } } }`), or a
single `--model_name` / `--model_base_path`, or, with neither, every model folder under
the shipped-models root (a convenience TF Serving does not have). Parsing uses TF
Serving's own proto, so a file that works here works there.
"""
import dataclasses
import os

from google.protobuf import text_format

from kerastransfer import artifact


class ConfigError(ValueError):
    """The model config cannot be used; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class ModelSource:
    """One served model: its name, the folder of integer versions, and which to load.

    `policy` is ("latest", n), ("all", None) or ("specific", frozenset of versions), as in
    TF Serving's ModelVersionPolicy; `labels` maps version labels to versions.
    """
    name: str
    base_path: str
    policy: tuple = ("latest", 1)
    labels: tuple = ()

    def aspired_versions(self, on_disk):
        """The versions of `on_disk` (ints) this policy wants loaded."""
        kind, value = self.policy
        if kind == "all":
            return set(on_disk)
        if kind == "specific":
            return set(on_disk) & set(value)
        return set(sorted(on_disk)[-value:]) if on_disk else set()

    def version_for_label(self, label):
        return dict(self.labels).get(label)


def _policy(config, where):
    which = config.model_version_policy.WhichOneof("policy_choice")
    if which is None:
        return ("latest", 1)
    if which == "latest":
        n = config.model_version_policy.latest.num_versions or 1
        if n < 1:
            raise ConfigError(f"{where}: latest.num_versions must be >= 1, got {n}")
        return ("latest", n)
    if which == "all":
        return ("all", None)
    versions = frozenset(config.model_version_policy.specific.versions)
    if not versions:
        raise ConfigError(f"{where}: specific policy lists no versions")
    return ("specific", versions)


def read_model_config(path):
    """ModelSources from a TF Serving model config file (text format)."""
    from tensorflow_serving.config import model_server_config_pb2

    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror or e})") from None
    config = model_server_config_pb2.ModelServerConfig()
    try:
        text_format.Parse(text, config)
    except text_format.ParseError as e:
        raise ConfigError(f"{path}: not a TF Serving model config ({e})") from None
    if config.WhichOneof("config") != "model_config_list":
        raise ConfigError(f"{path}: expected a model_config_list")
    sources = []
    for entry in config.model_config_list.config:
        where = f"{path}: model {entry.name or '(unnamed)'}"
        if not entry.name or not entry.base_path:
            raise ConfigError(f"{where}: name and base_path are both required")
        if entry.model_platform not in ("", "tensorflow"):
            raise ConfigError(f"{where}: model_platform {entry.model_platform!r} is not "
                              "supported (only tensorflow)")
        labels = tuple(sorted(entry.version_labels.items()))
        sources.append(ModelSource(entry.name, entry.base_path, _policy(entry, where), labels))
    names = [s.name for s in sources]
    if not sources:
        raise ConfigError(f"{path}: lists no models")
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: a model name appears twice")
    return sources


def shipped_models(root=None):
    """One ModelSource per model folder under the shipped-models root."""
    root = root or artifact.models_root()
    if not os.path.isdir(root):
        raise ConfigError(f"{root}: no models folder (give --model_base_path or "
                          "--model_config_file)")
    names = sorted(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n))
                   and not n.startswith("."))
    if not names:
        raise ConfigError(f"{root}: holds no model folders")
    return [ModelSource(n, os.path.join(root, n)) for n in names]


def check_base_paths(sources, where):
    """ConfigError unless every source's base path is an existing folder. TF Serving
    starts anyway and waits for the folder to appear; a typo then looks like a server
    that never loads its model, so this server refuses at start."""
    for source in sources:
        if not os.path.isdir(source.base_path):
            what = "no such folder" if not os.path.exists(source.base_path) else "not a folder"
            raise ConfigError(f"{source.base_path}: {what} ({where(source)})")
    return sources


def model_sources(config_file=None, model_name=None, model_base_path=None):
    """What to serve, from the server's flags (config file wins, as in TF Serving); every
    base path must exist."""
    if config_file and model_base_path:
        raise ConfigError("give either --model_config_file or --model_base_path, not both")
    if config_file:
        return check_base_paths(read_model_config(config_file),
                                lambda s: f"base_path of model {s.name} in {config_file}")
    if model_base_path:
        return check_base_paths([ModelSource(model_name or "default", model_base_path)],
                                lambda s: "--model_base_path")
    return shipped_models()

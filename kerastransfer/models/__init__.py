"""The networks: layers, the style transformation network, the super-resolution network,
the degradation that makes their low-resolution inputs, the instance-norm statistics scope
that tiling uses, and the faster serving graph. Imports nothing else from the package."""


def deserialize_network(serialized):
    """A network from `keras.saving.serialize_keras_object`'s output (a model record's
    `network`): its module, which must be one of these, is imported first so that its
    class is registered, then Keras rebuilds it from its config."""
    import importlib

    import keras
    module = serialized.get("module", "")
    if not module.startswith(__name__ + "."):
        raise ValueError(f"not a kerastransfer network: {serialized.get('class_name')!r} "
                         f"from {module!r}")
    importlib.import_module(module)
    return keras.saving.deserialize_keras_object(serialized)

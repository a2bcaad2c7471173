"""Puts each shipped style model's painting into its SavedModel's assets/, beside its
record, without touching the graph or the variables: the file the record's
`style_image` names, from --styles_dir, with its longer side at the record's
style_size (the size it was trained at). Models exported since carry it already.

    python tools/add_style_assets.py --styles_dir=../shared/data/styles [--models=udnie,...]
"""
import os

from absl import app, flags

flags.DEFINE_string("styles_dir", os.path.join("..", "shared", "data", "styles"),
                    "Folder holding the paintings the records name.")
flags.DEFINE_list("models", None, "Model names (default: every shipped style model).")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    from kerastransfer.export import saved_model
    from kerastransfer import artifact
    for name in FLAGS.models or artifact.available_models():
        path = artifact.resolve(name)
        record = artifact.read_record(path)
        if record.task != "style":
            continue
        source = os.path.join(FLAGS.styles_dir, record.style_image)
        asset = saved_model.style_image_asset_name(record, source)
        if asset != record.style_image:
            raise SystemExit(f"error: {name}: its record names {record.style_image}, "
                             "whose format is not written; re-export it instead")
        saved_model.write_style_image(source, os.path.join(path, "assets"), asset,
                                 record.style_size)
        print(f"{name}: assets/{asset}")


if __name__ == "__main__":
    app.run(main)

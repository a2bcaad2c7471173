"""The --style_scale figure: one photo stylised at several brush-stroke scales, side by
side, each labelled with its flag.

    python tools/make_style_scale_figure.py --input=examples/coffee.jpg --model=udnie \\
        --scales=0.5,1,2 --max_size=512 --output=docs/style_scale.jpg
"""
import numpy as np
from absl import app, flags

flags.DEFINE_string("input", "examples/coffee.jpg", "Photo.")
flags.DEFINE_string("model", "udnie", "Style model.")
flags.DEFINE_list("scales", ["0.5", "1", "2"], "Style scales, left to right.")
flags.DEFINE_integer("max_size", 512, "Longer side of each panel, pixels.")
flags.DEFINE_string("output", "style_scale.jpg", "Figure file (.jpg/.png).")
FLAGS = flags.FLAGS

LABEL_HEIGHT, GAP = 28, 8


def labelled(image, text):
    from PIL import Image, ImageDraw, ImageFont
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 18)
    except OSError:
        font = ImageFont.load_default()
    panel = Image.new("RGB", (image.shape[1], image.shape[0] + LABEL_HEIGHT), "white")
    ImageDraw.Draw(panel).text((8, 4), text, fill="black", font=font)
    panel.paste(Image.fromarray(image), (0, LABEL_HEIGHT))
    return np.asarray(panel)


def main(argv):
    del argv
    from kerastransfer import image_io
    from kerastransfer.inference.exported_model import ExportedModel
    from kerastransfer.inference.stylize import limit_size, stylize
    model = ExportedModel(FLAGS.model)
    photo = limit_size(image_io.read_image(FLAGS.input), FLAGS.max_size)
    panels = [labelled(stylize(model, photo, style_scale=float(s)), f"--style_scale={s}")
              for s in FLAGS.scales]
    gap = np.full((panels[0].shape[0], GAP, 3), 255, np.uint8)
    row = [part for panel in panels for part in (panel, gap)][:-1]
    image_io.write_image(FLAGS.output, np.concatenate(row, axis=1), overwrite=True, quality=88)
    print(f"wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)

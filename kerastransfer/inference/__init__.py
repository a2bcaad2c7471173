"""Running an exported model: loading it, stylising, upscaling, tiling huge images,
folders through tf.data, and huge collections on Apache Beam."""

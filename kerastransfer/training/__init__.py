"""Training: typed recipe configs (the single home of defaults), tf.data pipelines,
tf.distribute strategies, the `fit`-based loop, and the style and super-resolution recipes
that end in one record-and-export step."""

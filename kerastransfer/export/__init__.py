"""Writing the exported artefact: the SavedModel with its serving signatures and record,
and its TF.js conversion for the browser."""

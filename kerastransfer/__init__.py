"""kerastransfer: perceptual-loss image transformation networks (Johnson, Alahi & Fei-Fei,
ECCV 2016) in Keras 3 on TensorFlow — style transfer, super-resolution, the Gatys et al.
optimisation baseline, and TF Serving-ready SavedModels.

Submodules are imported on use (`from kerastransfer.inference.exported_model import ExportedModel`), so
`import kerastransfer` stays cheap and does not start TensorFlow.
"""
__version__ = "0.1.0"

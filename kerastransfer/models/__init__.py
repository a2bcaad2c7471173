"""The networks: layers, the style transformation network, the super-resolution network,
the degradation that makes their low-resolution inputs, the instance-norm statistics scope
that tiling uses, and the faster serving graph. Imports nothing else from the package."""

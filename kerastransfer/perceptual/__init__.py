"""The perceptual losses (paper §3): VGG-16 weights, the loss network, the feature and
style reconstruction losses, one weighted objective, and the Gatys et al. optimisation
baseline on that objective."""

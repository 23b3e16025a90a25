"""The shared core that the three studies stand on: images and image tables, backbones and
imported weights, checkpoints, pre-training, the fine-tuning loop, features, accuracy, artifacts,
params, errors, progress bars and the artifact layout."""

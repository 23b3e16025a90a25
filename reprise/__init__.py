"""Reprise: which pre-training data, pre-trained model and checkpoint to bring to a target task.
Layout: core, world, reuse, zoo, transferability, checkpoints."""

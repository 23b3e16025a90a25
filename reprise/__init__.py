"""Reprise: which pre-training data, pre-trained model and checkpoint to bring to a target task.
Layout: core, world, reuse, zoo, transferability, checkpoints.

``__version__`` is the installed distribution's (pyproject.toml holds the one number), so a
release changes no file that a stage depends on and reruns nothing."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("reprise")
except PackageNotFoundError:  # the source tree, not installed
    __version__ = "0+unknown"

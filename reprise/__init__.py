"""Reprise: bring the right slice of the pre-training data back into fine-tuning.

The package holds the logic; the DVC stages in ``stages/`` only read params, call it and
write artifacts.
"""

"""Scoring a zoo member: Domain Similarity leaves out the small classes, as the paper does."""

import numpy as np
import pytest
import torch

from builders import glyph_table
from reprise.core.backbones import GlyphResNet
from reprise.core.features import extract_features
from reprise.core.images import GLYPH_SPEC
from reprise.core.means import unit_means
from reprise.transferability import domain_similarity
from reprise.zoo.scoring import score_member


def test_domain_similarity_leaves_out_source_classes_under_five_images():
    torch.manual_seed(0)
    backbone, sample = GlyphResNet(widths=(8, 16)).eval(), glyph_table(20, 2, 0)
    rng = np.random.default_rng(0)
    means = rng.normal(size=(3, 16))
    counts = np.array([40.0, 40.0, 3.0])  # the third class has 3 images: App. C leaves it out
    probe = rng.normal(size=(20, 8))

    def ds(min_count):
        rows = score_member(backbone, GLYPH_SPEC, None, sample, probe, (means, counts), torch.device("cpu"), 64, 0, ds_min_count=min_count)
        return {r["score"]: r["value"] for r in rows}["domain_similarity"]

    without_small = ds(5)
    assert without_small != pytest.approx(ds(0))
    target_means, target_counts = unit_means(extract_features(backbone, GLYPH_SPEC, sample, torch.device("cpu"), progress=False), sample.labels, 2)
    assert without_small == pytest.approx(domain_similarity(means[:2], counts[:2], target_means, target_counts))
    assert np.isnan(ds(11))  # no two target classes with 11 images: the score cannot apply

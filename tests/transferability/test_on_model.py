"""Scoring one model: every score by name, the ones whose inputs are missing undefined, and Domain
Similarity leaving out the small classes, as the paper does."""

import numpy as np
import pytest
import torch

from builders import glyph_table
from reprise.core.backbones import GlyphResNet
from reprise.core.features import extract_features
from reprise.core.images import GLYPH_SPEC
from reprise.core.means import unit_means
from reprise.transferability import domain_similarity
from reprise.core.score_names import SCORE_LABELS
from reprise.transferability.on_model import model_scores


def test_domain_similarity_leaves_out_source_classes_under_five_images():
    torch.manual_seed(0)
    backbone, sample = GlyphResNet(widths=(8, 16)).eval(), glyph_table(20, 2, 0)
    rng = np.random.default_rng(0)
    means = rng.normal(size=(3, 16))
    counts = np.array([40.0, 40.0, 3.0])  # the third class has 3 images: App. C leaves it out
    probe = rng.normal(size=(20, 8))

    def ds(min_count):
        rows = model_scores(backbone, GLYPH_SPEC, sample, torch.device("cpu"), source_means=(means, counts), probe_features=probe,
                            lgc_projection_dim=64, ds_min_count=min_count)
        return {r["score"]: r["value"] for r in rows}["domain_similarity"]

    without_small = ds(5)
    assert without_small != pytest.approx(ds(0))
    target_means, target_counts = unit_means(extract_features(backbone, GLYPH_SPEC, sample, torch.device("cpu"), progress=False), sample.labels, 2)
    assert without_small == pytest.approx(domain_similarity(means[:2], counts[:2], target_means, target_counts))
    assert np.isnan(ds(11))  # no two target classes with 11 images: the score cannot apply
    small = model_scores(backbone, GLYPH_SPEC, sample, torch.device("cpu"), source_means=(means, np.full(3, 4.0)), with_lgc=False)
    assert np.isnan({r["score"]: r["value"] for r in small}["domain_similarity"])  # nor without a source class of 5 images


def test_every_score_by_name_and_those_without_their_inputs_undefined():
    torch.manual_seed(0)
    backbone, sample = GlyphResNet(widths=(8, 16)).eval(), glyph_table(20, 2, 0)
    rows = {r["score"]: r for r in model_scores(backbone, GLYPH_SPEC, sample, torch.device("cpu"), lgc_projection_dim=64)}
    assert set(rows) == set(SCORE_LABELS)
    undefined = {name for name, r in rows.items() if np.isnan(r["value"])}
    assert undefined == {"leep", "nce", "domain_similarity", "rsa"}  # no source head, source means or probe given
    assert all(r["seconds"] > 0 for name, r in rows.items() if name not in undefined)
    without_lgc = model_scores(backbone, GLYPH_SPEC, sample, torch.device("cpu"), with_lgc=False)
    assert "lgc" not in {r["score"] for r in without_lgc}
    assert {r["score"]: r["value"] for r in without_lgc}["lfc"] == rows["lfc"]["value"]

"""The multi-domain expert: shared convolutions, one BatchNorm set a domain, balanced sampling."""

import numpy as np
import pytest
import torch

from builders import glyph_table
from reprise.core.backbones import GlyphResNet
from reprise.core.checkpoints import load_backbone, write_checkpoint
from reprise.core.errors import InputError
from reprise.core.images import GLYPH_SPEC
from reprise.zoo.members import parse_member
from reprise.zoo.multidomain import DomainBatchNorm2d, domain_state, pretrain_multidomain, set_domain_sizes, with_domain_norms


def test_a_domain_of_the_multi_bn_network_is_the_single_network_with_that_domains_norms():
    torch.manual_seed(0)
    multi = with_domain_norms(GlyphResNet((8, 16)), 3)
    norms = [m for m in multi.modules() if isinstance(m, DomainBatchNorm2d)]
    assert len(norms) == sum(isinstance(m, torch.nn.BatchNorm2d) for m in GlyphResNet((8, 16)).modules()) and all(len(n.norms) == 3 for n in norms)
    for n in norms:  # give every domain its own statistics
        for d, bn in enumerate(n.norms):
            bn.running_mean.uniform_(-1, 1)
            bn.weight.data.fill_(1.0 + d)
    x = torch.randn(4, 1, 32, 32)
    multi.eval()
    set_domain_sizes(multi, [4, 4, 4])  # one batch of every domain, as training makes them
    with torch.no_grad():
        together = multi(torch.cat([x, x, x])).split(4)
    for d in range(3):
        single = GlyphResNet((8, 16)).eval()
        single.load_state_dict(domain_state(multi, d))
        with torch.no_grad():
            torch.testing.assert_close(single(x), together[d])


def test_multidomain_training_shares_convolutions_and_keeps_a_norm_set_and_head_per_domain(tmp_path):
    domains = {"a": glyph_table(24, 3, 0), "b": glyph_table(40, 4, 1)}
    checkpoints, log = pretrain_multidomain(domains, GLYPH_SPEC, widths=[8, 16], epochs=2, batch_size=8, lr=0.05, momentum=0.9,
                                            weight_decay=0.0, seed=0, device=torch.device("cpu"), progress=False)
    assert list(log.columns) == ["epoch", "lr", "train_loss", "train_acc_a", "train_acc_b"] and len(log) == 2
    a, b = (checkpoints[name]["backbone"] for name in "ab")
    convs = [k for k in a if k.endswith("weight") and a[k].dim() == 4]
    norms = [k for k in a if k.endswith(("running_mean", "running_var")) or (k.endswith(("weight", "bias")) and a[k].dim() == 1)]
    assert convs and all(torch.equal(a[k], b[k]) for k in convs)  # shared, bit for bit
    assert norms and all(not torch.equal(a[k], b[k]) for k in norms if not k.endswith("num_batches_tracked"))
    assert checkpoints["a"]["source_head"]["weight"].shape == (3, 16) and checkpoints["b"]["source_head"]["weight"].shape == (4, 16)
    assert checkpoints["a"]["domain"] == "a" and checkpoints["a"]["pretrain_mode"] == "multidomain"
    write_checkpoint(checkpoints["b"], tmp_path / "epoch_002.pt")
    backbone, spec, _ = load_backbone(tmp_path / "epoch_002.pt")  # an ordinary glyph ResNet member
    assert isinstance(backbone, GlyphResNet) and spec == GLYPH_SPEC
    # Balanced sampling: 4 images of each domain a step; the larger domain (40) sets 10 steps an epoch.
    assert log["train_acc_a"].between(0, 1).all() and log["train_acc_b"].between(0, 1).all()
    with pytest.raises(InputError, match="at least two domains"):
        pretrain_multidomain({"a": domains["a"]}, GLYPH_SPEC, widths=[8, 16], epochs=1, batch_size=8, lr=0.05, momentum=0.9,
                             weight_decay=0.0, seed=0, device=torch.device("cpu"), progress=False)


def test_a_multidomain_member_names_a_declared_domain():
    domains = {"greek": ["greek_lower"], "digits": ["digit"]}
    member = parse_member("mbn_greek", {"multidomain": "greek"}, domains)
    assert member.domain == "greek" and member.concepts == ("greek_lower",) and member.arch == "glyph_resnet"
    with pytest.raises(InputError, match="not a domain of zoo.multidomain.domains"):
        parse_member("mbn_x", {"multidomain": "klingon"}, domains)
    assert np.array_equal([parse_member("g", {"concepts": "all", "arch": "glyph_vgg"}).concepts], [None])


def test_a_batch_of_every_domain_is_normalised_per_domain_in_training():
    """In training mode each domain's part of the batch gets its own batch statistics: the same
    output as one forward pass a domain."""
    torch.manual_seed(0)
    multi = with_domain_norms(GlyphResNet((8, 16)), 2).train()
    parts = [torch.randn(3, 1, 32, 32), torch.randn(5, 1, 32, 32) + 2.0]
    set_domain_sizes(multi, [3, 5])
    together = multi(torch.cat(parts)).split([3, 5])
    for d, part in enumerate(parts):
        set_domain_sizes(multi, [3, 0] if d == 0 else [0, 5])
        torch.testing.assert_close(multi(part), together[d], rtol=1e-4, atol=1e-5)

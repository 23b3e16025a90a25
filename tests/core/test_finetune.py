"""The fine-tuning loop (eq. 6 and 7 of the UOT paper) and the schedule it shares with pre-training."""

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

import reprise.core.finetune as finetune_module
from builders import glyph_table
from reprise.core.backbones import GlyphResNet
from reprise.core.errors import InputError
from reprise.core.finetune import EndlessBatches, finetune
from reprise.core.images import GLYPH_SPEC, normalise
from reprise.core.pseudolabel import pseudo_label_loss
from reprise.core.training import step_schedule


def test_step_schedule_divides_by_ten_at_60_and_80_percent():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    schedule = step_schedule(opt, 100)
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        schedule.step()
    assert lrs[59] == 1.0 and lrs[60] == pytest.approx(0.1) and lrs[79] == pytest.approx(0.1) and lrs[80] == pytest.approx(0.01)


def test_endless_batches_are_full_and_cover_every_image_each_pass():
    table = glyph_table(10, 2, 0)
    generator = torch.Generator().manual_seed(0)
    batches = EndlessBatches(table, GLYPH_SPEC, 4, generator)
    drawn = [next(batches) for _ in range(5)]  # 20 images: two passes over the 10
    assert [len(y) for _, y in drawn] == [4] * 5
    images = torch.cat([x for x, _ in drawn])
    first, second = images[:10].flatten(1), images[10:].flatten(1)
    assert sorted(map(bytes, first.numpy())) == sorted(map(bytes, second.numpy()))
    # mid-pass, with images carried over: a stream restored from the state goes on identically
    for _ in range(3):  # batches of 4 from chunks of 4, 4, 2: the eighth leaves 2 images and 2 chunks of the fourth pass
        next(batches)
    state, generator_state = batches.state_dict(), generator.get_state()
    assert len(state["labels"]) == 2 and len(state["pending"]) == 2
    ahead = [next(batches) for _ in range(4)]
    restored = EndlessBatches(table, GLYPH_SPEC, 4, torch.Generator().set_state(generator_state))
    restored.load_state_dict(state)
    for (x, y), (x_again, y_again) in zip(ahead, [next(restored) for _ in range(4)]):
        assert torch.equal(x, x_again) and torch.equal(y, y_again)


@pytest.mark.parametrize("source_labels", [True, False])  # eq. 6 (a source head), eq. 7 (RandAugment: torch's global generator)
def test_an_interrupted_finetuning_resumes_to_the_same_weights(tmp_path, monkeypatch, source_labels):
    """Killed after its second epoch (the saved state is all that survives), the run resumes at
    epoch 3 and ends bit-identical to an uninterrupted one, source stream and log included."""
    from reprise.core.resume import Resumable

    source = glyph_table(30, 3, 2)
    backbone, head, log = run_finetune(source, epochs=4, source_labels=source_labels)
    save, calls = Resumable.save, []

    def save_then_die(self, state):
        save(self, state)
        calls.append(state["epoch"])
        if state["epoch"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(Resumable, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_finetune(source, epochs=4, source_labels=source_labels, resume_dir=tmp_path / "resume")
    torch.manual_seed(999)  # a rerun is a fresh process: nothing of the first run's global state remains
    again, head_again, log_again = run_finetune(source, epochs=4, source_labels=source_labels, resume_dir=tmp_path / "resume")
    assert calls == [1, 2, 3, 4] and not (tmp_path / "resume").exists()
    for a, b in zip(list(backbone.state_dict().values()) + list(head.state_dict().values()),
                    list(again.state_dict().values()) + list(head_again.state_dict().values())):
        assert torch.equal(a, b)
    pd.testing.assert_frame_equal(log, log_again)


def run_finetune(source, seed=0, lam=1.0, epochs=3, source_labels=True, resume_dir=None):
    torch.manual_seed(123)
    backbone = GlyphResNet(widths=(8, 16))
    return finetune(
        backbone, GLYPH_SPEC, glyph_table(40, 4, 1), source, epochs=epochs, batch_size=8, lr=0.05, momentum=0.9,
        weight_decay=0.0, lam=lam, seed=seed, device=torch.device("cpu"), source_labels=source_labels, test=glyph_table(24, 4, 2),
        eval_every=1, progress=False, resume_dir=resume_dir,
    )


def test_finetune_is_seeded_and_learns():
    source = glyph_table(30, 3, 3)
    backbone_a, head_a, log_a = run_finetune(source)
    backbone_b, head_b, log_b = run_finetune(source)
    for a, b in zip(backbone_a.state_dict().values(), backbone_b.state_dict().values()):
        assert torch.equal(a, b)
    assert torch.equal(head_a.weight, head_b.weight)
    pd.testing.assert_frame_equal(log_a, log_b)
    assert log_a["target_loss"].iloc[-1] < log_a["target_loss"].iloc[0]
    assert (log_a["source_loss"] > 0).all()
    _, _, other_seed = run_finetune(source, seed=1)
    assert not other_seed["target_loss"].equals(log_a["target_loss"])


def test_source_loss_weight_changes_training_and_baseline_has_no_source_loss():
    source = glyph_table(30, 3, 3)
    _, _, weighted = run_finetune(source, lam=1.0)
    _, _, light = run_finetune(source, lam=0.1)
    assert not weighted["target_loss"].equals(light["target_loss"])
    _, head, baseline = run_finetune(None)
    assert (baseline["source_loss"] == 0).all() and head.out_features == 4


def test_finetune_rejects_bad_settings():
    with pytest.raises(InputError, match="lambda must be non-negative"):
        run_finetune(None, lam=-1.0)
    with pytest.raises(InputError, match="must be positive"):
        run_finetune(None, epochs=0)


def test_eq7_soft_target_is_the_detached_weak_view_prediction_of_the_same_images(monkeypatch):
    """Eq. 7: the source term's soft target is the model's own softmax on the weak view of the
    very images whose strong view it trains, with no gradient through it. With both views made
    the identity, the weak and strong logits of a step must then be equal row for row."""
    seen_raw, calls = [], []

    def same_view(raw, spec, generator):
        seen_raw.append(raw)
        return normalise(raw.float() / 255.0, spec)

    def spy(logits_strong, logits_weak):
        calls.append((logits_strong.detach().clone(), logits_weak.detach().clone()))
        grads = []
        logits_weak.register_hook(grads.append)
        loss = pseudo_label_loss(logits_strong, logits_weak)
        expected = -(F.softmax(logits_weak.detach(), 1) * F.log_softmax(logits_strong.detach(), 1)).sum(1).mean()
        assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
        calls[-1] += (grads,)
        return loss

    monkeypatch.setattr(finetune_module, "weak_view", same_view)
    monkeypatch.setattr(finetune_module, "strong_view", same_view)
    monkeypatch.setattr(finetune_module, "pseudo_label_loss", spy)
    _, _, log = run_finetune(glyph_table(30, 3, 3), epochs=1, source_labels=False)
    assert len(calls) == 5 and (log["source_loss"] > 0).all()  # 40 target images, batches of 8
    for strong, weak, grads in calls:
        torch.testing.assert_close(strong, weak)  # the same images, in the same order
        assert grads == []  # no gradient reaches the weak view's prediction
    # Each step views the target batch, then the source batch twice (weak, strong): the same raw images.
    for step in range(5):
        target_raw, weak_raw, strong_raw = seen_raw[3 * step : 3 * step + 3]
        assert torch.equal(weak_raw, strong_raw) and len(weak_raw) == len(target_raw)

"""Progress bars in log files: a line every few seconds at most, whatever the loop does."""

import sys

from reprise.core.progress import progress_bar


def test_a_bar_in_a_log_file_is_not_redrawn_at_every_step(tmp_path, monkeypatch):
    log = tmp_path / "stage.log"
    with open(log, "w") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        bar = progress_bar(1000, "finetune", "step")
        for step in range(1000):  # a fast loop that sets a postfix at every step, as training does
            bar.update()
            bar.set_postfix(epoch=step // 100, loss=f"{1 / (step + 1):.3f}")
        bar.close()
    redraws = log.read_text().count("\r") + log.read_text().count("\n")
    assert redraws <= 4, log.read_text()[:500]
    assert "1000/1000" in log.read_text()  # the final state is written

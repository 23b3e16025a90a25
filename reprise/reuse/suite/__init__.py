"""The UOT paper's experiments (§4.2–4.4) on the testbed (:mod:`reprise.reuse.testbed`), as runs
of plain or reusing fine-tuning paired by seed, resumable.

Every experiment runs on each of ``pretrain_seeds`` pre-training runs of the backbones (stage
``testbed_backbone@<pretrain_seed>``: the pipeline's recipe with that seed), the unit of
replication of its findings. Each experiment is a list of runs
(:func:`reprise.reuse.suite.plan.plan`); a run is one fine-tuning, identified by ``experiment,
target, setting, method, pretrain_seed, seed``, and gives one row with ``top1`` on the target's
test set (``tuning``: on a validation split of the training set). Every pre-training run has its
own fine-tuning seeds, and every seed draws its own target split (and, for glyph targets, its own
renderings and distortions), fine-tuning order and random selection; the methods of one (target,
setting, pretrain_seed, seed) share them, so their differences are paired, and the report's
intervals are over the pre-training runs (:mod:`reprise.core.paired`).

- ``tuning``: the rate and λ, chosen by the mean top-1 on validation splits of the training sets
  of ``tuning.seeds`` seeds of the first pre-training run (with 5 labels a class one seed's validation split is 26 images, too
  few to choose by), one point per target for every method (``tuning.shared``) or per method as
  the paper grid-searches them (see :func:`reprise.reuse.suite.tuning.chosen`); the other experiments read the choice.
- ``table1`` (Table 1): every method at K = the target concept's classes in the pool, on every
  target, ``seeds`` seeds a pre-training run.
- ``k`` (Fig. 3a): UOT and random at K = ``k_multiples`` × the concept's classes.
- ``low_data`` (Fig. 3b): plain and UOT fine-tuning on ``fractions`` of each class's images.
- ``long_tail`` (Table 3): plain and UOT on a Pareto-profiled training set (largest class
  ``ratio`` × the smallest) and on a balanced one of the same size.
- ``deciles`` (Fig. 4b): the pool's classes ranked by UOT score and cut into ``deciles`` groups,
  each reused in turn, and plain fine-tuning.
- ``clusters`` (Table 2): UOT and random over k-means clusters of the pool (eq. 7) for each
  cluster number, selecting the clusters that hold about as many images as the concept's classes.
- ``table1b`` (Table 1b): the self-supervised backbone, reusing classes (labels) and clusters.

The sweeps run ``sweep_seeds`` seeds a pre-training run with the rate and λ that ``tuning`` chose for the method.

Modules, one job each: :mod:`~reprise.reuse.suite.settings` (``suite/params.yaml``),
:mod:`~reprise.reuse.suite.layout` (where its files live), :mod:`~reprise.reuse.suite.plan` (the
runs of an experiment, and the key that names a run), :mod:`~reprise.reuse.suite.tuning` (the
rate and λ chosen), :mod:`~reprise.reuse.suite.execution` (one run, and an experiment resumably)
and :mod:`~reprise.reuse.suite.report` (the paired comparisons and figures).
"""

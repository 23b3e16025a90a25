"""Which checkpoint of a pre-training run transfers best (the inadequately-pretrained-checkpoints
paper, Deng et al.): the per-checkpoint study (frozen features versus fine-tuning), the spectral
split of features, the softmax classifier, the analysis across checkpoints and its figures."""

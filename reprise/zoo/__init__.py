"""Model selection over a zoo (the linearized model-selection paper, Deshpande et al. 2021):
members, target tasks in two regimes, scoring with :mod:`reprise.transferability`, the
fine-tuned ground truth, and the report that judges the scores against it."""

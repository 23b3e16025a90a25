"""Data reuse by unbalanced OT (the UOT paper): units, clusters, cost, solver, selection, the
manifest of reused images, concept recall, evaluation."""

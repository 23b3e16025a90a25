"""The fuzz tests' budgets: a short one in ``make test`` (profile ``short``, the default), a long
one in ``make fuzz`` (``HYPOTHESIS_PROFILE=long``, examples set by ``FUZZ_EXAMPLES``)."""

import os

from hypothesis import HealthCheck, settings

COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("short", max_examples=30, derandomize=True, **COMMON)  # the same examples every run: make test stays reproducible
settings.register_profile("long", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2000")), **COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "short"))

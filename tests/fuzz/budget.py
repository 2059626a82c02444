"""How many examples the fuzz tests try.

CI runs the default budget, sized to finish in about a minute on two cores.
`FUZZ_SCALE=10` multiplies every budget for a deeper local run; generation
stays derandomized, so a larger budget explores further along the same
deterministic path and a failure reproduces with the same scale.
"""

import os

SCALE = max(1, int(os.environ.get("FUZZ_SCALE") or 1))


def examples(base: int) -> int:
    return base * SCALE

"""Per-process fan-out (being written)."""


def reset_for_tests() -> None:
    pass

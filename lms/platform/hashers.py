"""Password hashing for bulk-seeded demo students.

`seed_demo --students N` creates accounts whose password is, by the demo's
published rule, their own username. Hashing 100,000 of them with PBKDF2 at
Django's cost takes hours, so their password column holds the marker
`demo_username$<username>` instead: it stores no secret (the rule is public),
accepts exactly the username, and Django replaces it with a real PBKDF2 hash at
the account's first successful login (`must_update`). See docs/demo-data.md.
"""

from __future__ import annotations

from django.contrib.auth.hashers import BasePasswordHasher
from django.utils.crypto import constant_time_compare

ALGORITHM = "demo_username"


def demo_password_marker(username: str) -> str:
    """The password column of a seeded student whose password is `username`."""
    return f"{ALGORITHM}${username}"


class DemoUsernamePasswordHasher(BasePasswordHasher):
    """Verifies the marker written by seed_demo; never used to store a chosen password."""

    algorithm = ALGORITHM

    def salt(self) -> str:
        return ""

    def encode(self, password: str, salt: str) -> str:
        raise ValueError("demo_username markers are written by seed_demo only")

    def decode(self, encoded: str) -> dict:
        algorithm, _, username = encoded.partition("$")
        return {"algorithm": algorithm, "hash": username, "salt": ""}

    def verify(self, password: str, encoded: str) -> bool:
        algorithm, _, username = encoded.partition("$")
        return (
            algorithm == self.algorithm
            and bool(username)
            and constant_time_compare(password, username)
        )

    def safe_summary(self, encoded: str) -> dict:
        return {"algorithm": self.algorithm, "note": "demo password, hashed at first login"}

    def must_update(self, encoded: str) -> bool:
        return True

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass

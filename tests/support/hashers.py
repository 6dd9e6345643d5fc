"""A cheap Argon2 hasher for tests: same algorithm, tiny cost, so the suite stays fast."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 1024
    parallelism = 1

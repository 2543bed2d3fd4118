from django.contrib.auth.hashers import Argon2PasswordHasher


class FastTestArgon2Hasher(Argon2PasswordHasher):
    """Argon2id with tiny cost parameters: tests still prove the algorithm without spending 0.1 s per hash."""

    algorithm = "argon2"
    time_cost = 1
    memory_cost = 256
    parallelism = 1

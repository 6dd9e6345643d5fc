"""Pure rules of the inspectorate's work: working days, deadlines, gift thresholds. No Django in here.

Like ``vault/crypto.py``, these modules take plain values and return plain values, so they are tested with
known answers and read without knowing the framework. The import-linter contract in pyproject.toml keeps
Django (and every other Peluit package) out of them.
"""

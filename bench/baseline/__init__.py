"""A plaintext baseline for the intake benchmark: the same form and page, one plain insert, no vault, no audit."""

"""One module per target (or family of targets); each registers itself with ``@target``."""

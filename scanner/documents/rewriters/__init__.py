"""One module per rewritable document format; each defines ``REWRITER``."""

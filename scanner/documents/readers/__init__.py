"""One module per document format; each defines ``READER`` (see ``scanner.documents.registry``)."""

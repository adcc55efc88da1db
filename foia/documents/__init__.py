"""Documents: content-addressed storage, type sniffing, text extraction."""

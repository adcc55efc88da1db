"""Letters: versioned drafts, finalize, PDF, send; the sandboxed renderer is `foia.letters.render`."""

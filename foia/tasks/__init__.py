"""Tasks on a request with internal due dates (issue 19)."""

"""Fee lifecycle, escalation dates and litigation of a request (issue 19)."""

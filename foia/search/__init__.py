"""Full-text search over requests, communications and documents, visibility in SQL."""

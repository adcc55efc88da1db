"""Operations: health checks, metrics, the schema check, backup and restore, disk-full messages (issue 17)."""

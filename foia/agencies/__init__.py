"""The agency directory."""

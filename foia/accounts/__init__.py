"""Accounts: organizations, users, sign-in, settings."""

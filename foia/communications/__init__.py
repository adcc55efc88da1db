"""Communications with the agency: each kind writes the ledger event the deadline engine reads; exemptions per law."""

"""Usage events and statistics. No Qt here."""

"""Index, case analysis and ranking. No Qt here."""

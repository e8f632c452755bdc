"""Reading and checking knowledge-base files. No Qt here."""

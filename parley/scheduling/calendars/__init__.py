"""Calendar sync (P12): one module per provider behind one interface; see integrations notes in docs."""

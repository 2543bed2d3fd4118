"""Access log (P18): request lines with the client address shortened before anything is written."""

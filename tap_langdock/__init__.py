"""Singer tap for Langdock's Usage Export API."""

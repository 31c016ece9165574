"""Google Chat adapter: verify requests, read events, run the core, answer as Chat expects."""

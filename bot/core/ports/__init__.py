"""Ports the core calls, one module per outside thing it faces; adapters implement them."""

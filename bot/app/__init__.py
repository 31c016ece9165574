"""The composition root: settings to a running bot (wiring, lifecycle, modes, server)."""

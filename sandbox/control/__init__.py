"""The sandbox control API under ``/sandbox/api/``: what the page, scripts and tests drive."""

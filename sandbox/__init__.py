"""Local stand-ins for Slack and Google speaking the real protocols over loopback."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())

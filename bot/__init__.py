"""meetbot: run Google Meet from Slack and Google Chat."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())

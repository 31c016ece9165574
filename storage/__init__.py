"""Persistence: SQLAlchemy async models, repositories, migrations and token encryption."""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())

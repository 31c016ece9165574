"""`python -m bot` runs the meetbot command."""

from bot.cli import main

raise SystemExit(main())

"""A chat user's Google account: linking it, and valid access tokens for it."""

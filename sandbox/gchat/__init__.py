"""The Google Chat stand-in: spaces and messages, the Chat REST API, its keys and signed events."""

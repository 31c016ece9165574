"""The Google account side of the stand-ins: OAuth, tokens and grants, the shared state, errors."""

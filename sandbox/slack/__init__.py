"""The Slack stand-in: workspace state, the Web API, OAuth, Socket Mode and the signed sender."""

"""Every sentence people read, by feature, so Slack and Google Chat say the same thing."""

"""Platform-neutral meeting logic: commands, lifecycle, service, message texts, ports."""

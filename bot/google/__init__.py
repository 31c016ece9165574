"""Google-facing adapters: OAuth account linking and Meet REST v2."""

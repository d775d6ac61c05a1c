"""What a sandbox is started with: its settings, its API keys and its fault switches."""

"""Development tools of gridgov: run from the repository root, never installed."""

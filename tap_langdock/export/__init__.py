"""The export path: protocol (pure), transport (HTTP), exporter (one window, retries)."""

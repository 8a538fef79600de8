"""State on disk: atomic writes, TOML files read with clear errors, presets."""

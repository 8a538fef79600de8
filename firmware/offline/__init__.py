"""File work, off any real-time path: render, delivery targets, measure,
the chain's response, the demo programme, audio files."""

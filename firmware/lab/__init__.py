"""Bench checks: the loop-cable measurement, the panel walk-through, the pin
map picture, and the JACK connection that stands in for a cable."""

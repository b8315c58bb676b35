"""Per-framework runners of the bench; each runs in its own process (see ``bench/run.py``)."""

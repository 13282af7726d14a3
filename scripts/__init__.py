"""Developer tools run by the Makefile (docs and sample-event generators)."""

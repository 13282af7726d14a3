"""Clients of outside HTTP APIs (carriers, store channels), over one small transport."""

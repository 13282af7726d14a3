"""Carriers: one interface (oms.carriers.carrier) and its implementations."""

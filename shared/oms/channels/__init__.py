"""Channel adapters: each turns its channel's order payload into our OrderSnapshot (oms.channels.incoming)."""

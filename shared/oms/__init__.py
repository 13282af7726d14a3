"""Order management system: the shared layer (domain, models, data access)."""

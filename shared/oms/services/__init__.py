"""Services: each loads what one use case needs, decides with the pure rules, commits, retries."""

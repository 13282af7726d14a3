"""`make bench`: cold start, own-code time, AWS calls and cost per order, local throughput."""

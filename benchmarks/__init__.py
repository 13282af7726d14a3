"""`make bench`: cold start, own-code time, AWS calls and cost per order, local throughput."""

import os

# Set before any benchmark imports the functions' modules, which read them when imported (Powertools
# Metrics takes its namespace then): fake credentials for moto, and never a real endpoint.
for _k, _v in {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_METRICS_NAMESPACE": "OMS",
}.items():
    os.environ.setdefault(_k, _v)
os.environ.pop("AWS_ENDPOINT_URL", None)

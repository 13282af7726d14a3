"""Runs in a fresh interpreter (the functions' own environment, no PYTHONPATH).

    _child.py function <code_dir> <layer_dir> <handler module>   import the handler
    _child.py baseline <service>,<service>...                    import boto3, create the clients
    _child.py discover <code_dir> <layer_dir> <handler module>   which clients the handler creates

Prints one JSON line: milliseconds from just before the first import to ready.
"""

import json
import sys
import time


def main() -> None:
    mode = sys.argv[1]
    started = time.perf_counter()
    if mode == "baseline":
        import boto3

        for service in filter(None, sys.argv[2].split(",")):
            boto3.client(service)
        print(json.dumps({"ms": (time.perf_counter() - started) * 1000}))
        return
    code_dir, layer_dir, module = sys.argv[2], sys.argv[3], sys.argv[4]
    sys.path[:0] = [code_dir, layer_dir]
    services: list[str] = []
    if mode == "discover":
        import boto3

        original = boto3.client

        def spy(service, *args, **kwargs):  # type: ignore[no-untyped-def]
            services.append(service)
            return original(service, *args, **kwargs)

        boto3.client = spy  # type: ignore[assignment]
        started = time.perf_counter()
    __import__(module)
    elapsed = (time.perf_counter() - started) * 1000
    print(json.dumps({"ms": elapsed, "services": sorted(set(services))}))


if __name__ == "__main__":
    main()

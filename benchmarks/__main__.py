"""`make bench` (options: make bench ARGS="--orders 200 --runs 10 --events 1000")."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
TARGETS = {
    "webhook_ready_ratio": 1.15,
    "heaviest_ready_ratio": 1.6,
    "webhook_p99_ms": 1.0,
    "intake_p99_ms": 5.0,
    "placed_to_confirmed_dynamodb_requests": 3,
    "infrastructure_usd_per_1000": 0.025,
    "local_orders": 1000,
    "local_seconds": 60,
}


class _QuietStdout:
    """Point file descriptor 1 at /dev/null (loggers hold sys.stdout, so swapping it is not enough)."""

    def __enter__(self) -> None:
        sys.stdout.flush()
        self.saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()
        os.dup2(self.saved, 1)
        os.close(self.saved)


def _ok(good: bool) -> str:
    return "ok" if good else "MISSES"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--runs", type=int, default=10, help="cold-start runs per function (median)")
    parser.add_argument("--events", type=int, default=1000, help="events per type for own-code time")
    parser.add_argument("--orders", type=int, default=1000, help="webhooks for the local throughput run")
    parser.add_argument("--job-orders", type=int, default=10_000, help="orders of the bulk job run")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["cold", "warm", "calls", "throughput", "bulk", "sync", "app"],
    )
    parser.add_argument("--app-orders", type=int, default=10_000, help="orders in the table for the app run")
    parser.add_argument("--sync-skus", type=int, default=40, help="SKUs of the inventory sync run")
    args = parser.parse_args(argv)
    from benchmarks import app_screen, bulk, calls, coldstart, cost, harness, sync, throughput, warm
    from oms_local.runner import lambda_python

    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "system": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "targets": TARGETS,
    }
    if "cold" not in args.skip:
        print(f"cold start: {args.runs} fresh processes per function...", flush=True)
        from moto import mock_aws

        from oms_local.cloud import LocalCloud

        with mock_aws():
            specs = LocalCloud(fast_retry=True).specs
        results["cold_start"] = coldstart.measure(specs, lambda_python(), args.runs)
    if "warm" not in args.skip or "calls" not in args.skip:
        quiet = _QuietStdout()  # the functions' logs (they still write them: that time counts)
        with quiet, harness.bench_stack() as bench:
            if "calls" not in args.skip:
                print("AWS calls per order...", file=sys.stderr, flush=True)
                results["calls"] = calls.measure(bench)
        if "warm" not in args.skip:
            print(f"own-code time: {args.events} events per type...", file=sys.stderr, flush=True)
            with quiet, harness.bench_stack() as bench:
                results["warm"] = warm.measure(bench, args.events)
    if "calls" in results:
        results["cost"] = {k: cost.per_thousand(v, results.get("warm")) for k, v in results["calls"].items()}
        results["cost"]["whole_life_3_lines"] = cost.combined(
            [results["cost"]["fixture_3_lines"], results["cost"]["fixture_confirmed_to_completed"]]
        )
        for flow in results["calls"].values():
            flow.pop("_calls", None)
    if "throughput" not in args.skip:
        print(f"local throughput: {args.orders} signed webhooks...", flush=True)
        results["throughput"] = throughput.measure(args.orders)
    if "bulk" not in args.skip:
        print(f"bulk job: {args.job_orders} orders...", flush=True)
        results["bulk_job"] = bulk.measure(args.job_orders)
    if "sync" not in args.skip:
        print(f"inventory sync: {args.sync_skus} SKUs to three stores...", flush=True)
        results["inventory_sync"] = sync.measure(args.sync_skus)
    if "app" not in args.skip:
        print(f"admin app: the orders screen over {args.app_orders} orders...", flush=True)
        results["admin_app"] = app_screen.measure(args.app_orders)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged = {**previous, **results}
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    print(report(merged))
    return 0


def report(r: dict[str, Any]) -> str:
    lines = [f"\nOMS benchmark, {r['when']} ({r['machine']['system']}, {r['machine']['cpus']} CPUs)", ""]
    cold = r.get("cold_start")
    if cold:
        lines += [
            "Cold start: handler module imported with its template environment and clients, vs a process",
            "that only imports boto3 and creates the same clients (median of runs; ratio of medians)",
            "",
            f"  {'function':<20} {'ready ms':>9} {'baseline':>9} {'ratio':>6}  target",
        ]
        worst = cold["_worst"]["function"]
        for name, v in cold.items():
            if name.startswith("_"):
                continue
            target = (
                TARGETS["webhook_ready_ratio"]
                if name == "WebhookFunction"
                else TARGETS["heaviest_ready_ratio"]
            )
            lines.append(
                f"  {name:<20} {v['function_ms']:>9} {v['baseline_ms']:>9} {v['ratio']:>6}  "
                f"<= {target}  {_ok(v['ratio'] <= target)}"
            )
        lines += [
            "",
            f"  heaviest: {worst}; import time beyond the baseline by package (-X importtime, self ms):",
        ]
        lines += [
            "    " + ", ".join(f"{p['package']} {p['self_ms']}" for p in cold["_worst"]["by_package"][:8])
        ]
    warm = r.get("warm")
    if warm:
        lines += [
            "",
            f"Own-code time per event (AWS calls excluded; {warm['webhook']['events']} events each)",
            "",
            f"  {'event':<18} {'median ms':>9} {'p99 ms':>8}  target",
        ]
        for name, v in warm.items():
            target = {"webhook": TARGETS["webhook_p99_ms"], "intake_message": TARGETS["intake_p99_ms"]}.get(
                name
            )
            verdict = f"p99 <= {target} ms  {_ok(v['p99_ms'] <= target)}" if target else ""
            lines.append(f"  {name:<18} {v['median_ms']:>9} {v['p99_ms']:>8}  {verdict}")
    calls = r.get("calls")
    if calls:
        for label, flow in calls.items():
            span = "confirmed" if "confirmed_to" in label else "webhook"
            if "return" in flow:
                span = "return"
                lines += [
                    "",
                    f"AWS calls for one customer's return ({flow['lines']} line), public page -> "
                    f"{flow['return_status']} (refunded {flow['refunded']['amount']}), the order "
                    f"{flow['final_status']}; carrier calls: "
                    + ", ".join(f"{k} {n}" for k, n in flow["carrier_calls"].items())
                    + ":",
                ]
            else:
                lines += [
                    "",
                    f"AWS calls for one order ({flow['lines']} lines), {span} -> {flow['final_status']}:",
                ]
            for function, ops in flow["calls_by_function"].items():
                lines.append(f"  {function:<34} " + ", ".join(f"{k} x{n}" for k, n in ops.items()))
            u = flow["dynamodb_units"]
            requests = flow["placed_to_confirmed_dynamodb_requests"]
            intake = (
                f"; placed -> confirmed in {requests} DynamoDB request(s) (floor 1, target <= 3)  "
                f"{_ok(requests <= 3)}"
                if span == "webhook"
                else ""
            )
            lines.append(
                f"  DynamoDB: {u['write_units']:g} write units, {u['read_units']:g} read units{intake}"
            )
            if "dynamodb_requests" in flow:
                per = ", ".join(f"{k} {n}" for k, n in sorted(flow["dynamodb_requests_by_function"].items()))
                lines.append(f"  DynamoDB requests: {flow['dynamodb_requests']} ({per})")
            c = r["cost"][label]
            what = "returns" if span == "return" else "orders"
            target = (
                "" if span == "return" else f" (target <= $0.025  {_ok(c['infrastructure_usd'] <= 0.025)})"
            )
            lines.append(
                f"  cost per 1,000 {what}: ${c['infrastructure_usd']:.4f} infrastructure{target}, "
                f"+ ${c['email_usd']:.4f} email; SMS, if enabled, ${c['sms_usd_if_enabled']:.2f}"
            )
        life = r.get("cost", {}).get("whole_life_3_lines")
        if life:
            lines.append(
                "\n  whole life of the 3-line order (webhook -> completed): "
                f"${life['infrastructure_usd']:.4f} infrastructure per 1,000 orders, "
                f"+ ${life['email_usd']:.4f} email"
            )
    t = r.get("throughput")
    if t:
        lines += [
            "",
            f"Local throughput ({t['note']}):",
            f"  {t['orders']} webhooks from {t['senders']} senders: ack p50 {t['ack_p50_ms']} ms, "
            f"p99 {t['ack_p99_ms']} ms; all confirmed after {t['seconds_until_all_confirmed']} s "
            f"({t['orders_per_second']} orders/s); lost {t['lost']}, duplicated {t['duplicated']}  "
            f"(target {TARGETS['local_orders']} in {TARGETS['local_seconds']} s, 0 lost, 0 duplicated: "
            f"{_ok(t['seconds_until_all_confirmed'] <= 60 and t['lost'] == 0 and t['duplicated'] == 0)})",
        ]
    b = r.get("bulk_job")
    if b:
        lines += [
            "",
            f"Bulk job ({b['note']}):",
            f"  {b['orders']} orders in {b['chunks']} chunks: accepted in {b['accepted_ms']} ms,"
            f" every result after {b['seconds']} s ({b['orders_per_second']} orders/s);"
            f" done {b['done']}, failed {b['failed']}",
        ]
    a = r.get("admin_app")
    if a:
        fast = a["first_page_ms_median"] < 1000
        small = a["js_css_transferred_kb"] < 150
        lines += [
            "",
            f"Admin app ({a['note']}):",
            f"  orders screen over {a['orders']} orders, first page on screen: median "
            f"{a['first_page_ms_median']} ms, worst {a['first_page_ms_max']} ms of {a['runs']} "
            f"(target < 1000 ms  {_ok(fast)}); JS + CSS transferred {a['js_css_transferred_kb']} KB "
            f"compressed (target < 150 KB  {_ok(small)})",
        ]
    s = r.get("inventory_sync")
    if s:
        lines += ["", f"Inventory sync ({s['note']}):"]
        for store in ("shopify", "woocommerce", "bigcommerce"):
            v = s[store]
            lines.append(
                f"  order webhook -> {store} level: p50 {v['p50_s']} s, p99 {v['p99_s']} s"
                f" over {v['changes']} of {s['skus']} SKUs"
            )
        lines.append(f"  channel calls for {s['skus']} changed SKUs on 3 stores: {s['channel_calls']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())

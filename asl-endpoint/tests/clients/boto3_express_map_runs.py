"""boto3 on a distributed Map of EXPRESS children: the Map Run is recorded as
AWS shows it (ListMapRuns, DescribeMapRun's counts while it runs and after,
its status and dates), its children are not executions ListExecutions lists
(AWS: not supported for EXPRESS), and a Map Run that failed counts its failed
and abandoned children. The children's handler is steered by files in
ASL_DIR, as in boto3_map_runs.py. Prints one JSON object for the Rust test."""

import json

from botocore.exceptions import ClientError

from map_run_common import all_keys, finished, machine, sfn, touch, until

out = {}


def described(d):
    return {
        "status": d["status"],
        "stopped": "stopDate" in d,
        "maxConcurrency": d["maxConcurrency"],
        "executions": all_keys(d["executionCounts"]),
        "items": all_keys(d["itemCounts"]),
    }


# Five items, two at a time, held: two run, three wait.
items = [{"run": "fast", "n": n, "hold": True} for n in range(5)]
fast = sfn.start_execution(
    stateMachineArn=machine, name="fast", input=json.dumps({"items": items, "concurrency": 2})
)["executionArn"]
runs = until("the Map Run", lambda: sfn.list_map_runs(executionArn=fast)["mapRuns"])
map_run = runs[0]["mapRunArn"]
out["listed"] = {k: runs[0][k] for k in ("executionArn", "mapRunArn", "stateMachineArn")}
held = until(
    "two running children",
    lambda: (lambda d: d if d["executionCounts"]["running"] == 2 else None)(
        sfn.describe_map_run(mapRunArn=map_run)
    ),
)
out["held"] = described(held)
try:
    sfn.list_executions(mapRunArn=map_run)
    out["list_children"] = None
except ClientError as e:
    out["list_children"] = e.response["Error"]["Code"]
touch("fast.open")
out["fast"] = finished(fast)["status"]
out["done"] = described(sfn.describe_map_run(mapRunArn=map_run))

# Every item fails: the Map Run fails (no tolerated failure).
touch("lost.broken")
items = [{"run": "lost", "n": n, "flaky": True} for n in range(4)]
lost = sfn.start_execution(
    stateMachineArn=machine, name="lost", input=json.dumps({"items": items, "concurrency": 4})
)["executionArn"]
failed = finished(lost)
map_run = sfn.list_map_runs(executionArn=lost)["mapRuns"][0]["mapRunArn"]
out["lost"] = {
    "status": failed["status"],
    "error": failed.get("error"),
    "map_run": described(sfn.describe_map_run(mapRunArn=map_run)),
}
print(json.dumps(out))

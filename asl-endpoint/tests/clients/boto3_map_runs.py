"""boto3 on a distributed Map of STANDARD children: ListMapRuns, DescribeMapRun
while it runs (items not started yet counted as pending) and after, UpdateMapRun raising MaxConcurrency of a running Map
Run (which then runs more children at once), ListExecutions by mapRunArn
(paged, with each child's itemCount), DescribeExecution of a child, AWS's errors; then a Map Run that
failed, redriven: only its failed children run again. The children's handler
is steered by files in ASL_DIR: `<run>.open` releases held items,
`<run>.broken` makes flaky items fail; it logs each call in `<run>.calls`.
Prints one JSON object for the Rust test to check."""

import json
import os
import time

from botocore.exceptions import ClientError

from map_run_common import all_keys, finished, folder, machine, sfn, touch, until

out = {}


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def calls(run):
    with open(os.path.join(folder, run + ".calls")) as f:
        return sorted(int(line) for line in f.read().split())


def counts(c):
    return {k: c[k] for k in ("pending", "running", "succeeded", "failed", "total", "resultsWritten")}


def all_counts(c):
    return {k: c[k] for k in ("pending", "running", "succeeded", "failed", "timedOut", "aborted", "total")}


# A Map Run held with MaxConcurrency 1, raised to 6 while it runs.
items = [{"run": "live", "n": n, "hold": True} for n in range(6)]
live = sfn.start_execution(
    stateMachineArn=machine, name="live", input=json.dumps({"items": items, "concurrency": 1})
)["executionArn"]
runs = until("the Map Run", lambda: sfn.list_map_runs(executionArn=live)["mapRuns"])
map_run = runs[0]["mapRunArn"]
out["listed"] = {k: runs[0][k] for k in ("executionArn", "mapRunArn", "stateMachineArn")}
until("a running child", lambda: sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]["running"] == 1)
time.sleep(0.2)
held = sfn.describe_map_run(mapRunArn=map_run)
out["held"] = {
    "status": held["status"],
    "maxConcurrency": held["maxConcurrency"],
    "executions": counts(held["executionCounts"]),
    "items": counts(held["itemCounts"]),
}
sfn.update_map_run(mapRunArn=map_run, maxConcurrency=6, toleratedFailureCount=2)
raised = until(
    "six running children",
    lambda: (lambda d: d if d["executionCounts"]["running"] == 6 else None)(
        sfn.describe_map_run(mapRunArn=map_run)
    ),
)
out["raised"] = {
    "maxConcurrency": raised["maxConcurrency"],
    "toleratedFailureCount": raised["toleratedFailureCount"],
    "executions": counts(raised["executionCounts"]),
}
touch("live.open")
out["live"] = finished(live)["status"]
done = sfn.describe_map_run(mapRunArn=map_run)
out["done"] = {
    "status": done["status"],
    "stopped": "stopDate" in done,
    "executions": counts(done["executionCounts"]),
    "items": counts(done["itemCounts"]),
}
first = sfn.list_executions(mapRunArn=map_run, maxResults=4)
rest = sfn.list_executions(mapRunArn=map_run, nextToken=first["nextToken"])
children = first["executions"] + rest["executions"]
out["children"] = {
    "count": len(children),
    "distinct": len({c["executionArn"] for c in children}),
    "statuses": sorted({c["status"] for c in children}),
    "mapRunArns": sorted({c["mapRunArn"] for c in children}),
    "machines": sorted({c["stateMachineArn"] for c in children}),
    "itemCounts": sorted({c["itemCount"] for c in children}),
}
out["listed_by_machine"] = sorted(
    set().union(*(e.keys() for e in sfn.list_executions(stateMachineArn=machine)["executions"]))
)
child = sfn.describe_execution(executionArn=children[0]["executionArn"])
out["child"] = {"mapRunArn": child["mapRunArn"], "stateMachineArn": child["stateMachineArn"]}
history = sfn.get_execution_history(executionArn=children[0]["executionArn"])["events"]
out["child_events"] = [e["type"] for e in history]
parent = sfn.get_execution_history(executionArn=live)["events"]
out["parent_events"] = [e["type"] for e in parent]
out["errors"] = {
    "unknown": error_of(sfn.describe_map_run, mapRunArn=map_run[: map_run.rindex(":")] + ":nope"),
    "invalid": error_of(sfn.describe_map_run, mapRunArn="arn:aws:states:eu-west-1:111122223333:execution:x:y"),
    "percentage": error_of(sfn.update_map_run, mapRunArn=map_run, toleratedFailurePercentage=150),
    "no_execution": error_of(sfn.list_map_runs, executionArn=live + "-none"),
    "both": error_of(sfn.list_executions, mapRunArn=map_run, stateMachineArn=machine),
}

# A Map Run that fails (items 1 and 3), redriven: only those run again.
touch("redo.broken")
items = [{"run": "redo", "n": n, "flaky": n in (1, 3)} for n in range(6)]
redo = sfn.start_execution(
    stateMachineArn=machine, name="redo", input=json.dumps({"items": items, "concurrency": 2})
)["executionArn"]
failed = finished(redo)
map_run = sfn.list_map_runs(executionArn=redo)["mapRuns"][0]["mapRunArn"]
before = sfn.describe_map_run(mapRunArn=map_run)
out["failed"] = {
    "status": failed["status"],
    "error": failed.get("error"),
    "map_run": before["status"],
    "redriveCount": before["redriveCount"],
    "executions": all_counts(before["executionCounts"]),
    "items": all_counts(before["itemCounts"]),
}
def succeeded_items(arn):
    listed = sfn.list_executions(mapRunArn=arn, statusFilter="SUCCEEDED")["executions"]
    return sorted(
        json.loads(sfn.describe_execution(executionArn=c["executionArn"])["input"])["n"]
        for c in listed
    )


succeeded_before = succeeded_items(map_run)
statuses_before = sorted(c["status"] for c in sfn.list_executions(mapRunArn=map_run)["executions"])
calls_before = calls("redo")
os.remove(os.path.join(folder, "redo.broken"))
sfn.redrive_execution(executionArn=redo)
redriven = finished(redo)
after = sfn.describe_map_run(mapRunArn=map_run)
children = sfn.list_executions(mapRunArn=map_run)["executions"]
out["redriven"] = {
    "status": redriven["status"],
    "output": json.loads(redriven["output"]),
    "map_runs": len(sfn.list_map_runs(executionArn=redo)["mapRuns"]),
    "map_run": after["status"],
    "redriveCount": after["redriveCount"],
    "redriveDate": "redriveDate" in after,
    "executions": counts(after["executionCounts"]),
    "children_redriven": sorted(c.get("redriveCount", 0) for c in children),
    "succeeded_before": succeeded_before,
    "statuses_before": statuses_before,
    "calls_before": calls_before,
    "calls_after": calls("redo"),
    "events": [e["type"] for e in sfn.get_execution_history(executionArn=redo)["events"]],
}
again_child = next(c for c in children if c.get("redriveCount", 0) == 1)
described_child = sfn.describe_execution(executionArn=again_child["executionArn"])
child_history = sfn.get_execution_history(executionArn=again_child["executionArn"])["events"]
out["redriven"]["child"] = {
    "status": described_child["status"],
    "redriveCount": described_child.get("redriveCount"),
    "redriveDate": "redriveDate" in described_child,
    "events": [e["type"] for e in child_history],
    "ids": [e["id"] for e in child_history],
    "redriven_details": [e.get("executionRedrivenEventDetails") for e in child_history if e["type"] == "ExecutionRedriven"],
}

# A Map Run whose four children all fail, redriven one at a time (UpdateMapRun
# before the redrive) with the reruns held: those not run again yet wait
# ("pendingRedrive"), no longer counted as failed or aborted.
touch("again.broken")
items = [{"run": "again", "n": n, "flaky": True, "hold": True} for n in range(4)]
again = sfn.start_execution(
    stateMachineArn=machine, name="again", input=json.dumps({"items": items, "concurrency": 4})
)["executionArn"]
runs = until("the Map Run", lambda: sfn.list_map_runs(executionArn=again)["mapRuns"])
map_run = runs[0]["mapRunArn"]
until("four running children", lambda: sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]["running"] == 4)
touch("again.open")
finished(again)
out["again_failed"] = all_counts(sfn.describe_map_run(mapRunArn=map_run)["executionCounts"])
os.remove(os.path.join(folder, "again.open"))
os.remove(os.path.join(folder, "again.broken"))
sfn.update_map_run(mapRunArn=map_run, maxConcurrency=1)
sfn.redrive_execution(executionArn=again)
waiting = until(
    "one child run again",
    lambda: (lambda d: d if d["status"] == "RUNNING" and d["executionCounts"]["running"] == 1 else None)(
        sfn.describe_map_run(mapRunArn=map_run)
    ),
)
out["again_waiting"] = {
    "executions": all_keys(waiting["executionCounts"]),
    "items": all_keys(waiting["itemCounts"]),
}
touch("again.open")
out["again"] = finished(again)["status"]
after = sfn.describe_map_run(mapRunArn=map_run)
out["again_done"] = all_keys(after["executionCounts"])
print(json.dumps(out))

"""boto3 on distributed Maps that read an S3 listing (moto's S3 at ASL_S3),
one with EXPRESS children and one with STANDARD ones: while the children are
held two at a time, DescribeMapRun counts every item the reader has read (the
listing's page) in `total`, those not started as `pending`; at the end, all
succeeded. The children's handler is steered by files in ASL_DIR, as in
boto3_map_runs.py. Prints one JSON object for the Rust test."""

import json
import os

import boto3

from map_run_common import all_keys, finished, machine, sfn, touch, until

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["ASL_S3"],
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
bucket = "map-run-counts"
out = {}


def settled(d):
    c = d["executionCounts"]
    return d if c["running"] == 2 and c["total"] == 8 else None


s3.create_bucket(Bucket=bucket)
for n in range(8):
    s3.put_object(Bucket=bucket, Key="item-%d.json" % n, Body=b"{}")

for kind in ("express", "standard"):
    arn = sfn.start_execution(
        stateMachineArn=machine,
        name=kind,
        input=json.dumps(
            {"bucket": bucket, "run": kind, "concurrency": 2, "standard": kind == "standard"}
        ),
    )["executionArn"]
    runs = until("the Map Run", lambda: sfn.list_map_runs(executionArn=arn)["mapRuns"])
    map_run = runs[0]["mapRunArn"]
    held = until(
        "two running children of eight read",
        lambda: settled(sfn.describe_map_run(mapRunArn=map_run)),
    )
    touch(kind + ".open")
    status = finished(arn)["status"]
    done = sfn.describe_map_run(mapRunArn=map_run)
    out[kind] = {
        "status": status,
        "held": {"executions": all_keys(held["executionCounts"]), "items": all_keys(held["itemCounts"])},
        "done": {
            "status": done["status"],
            "executions": all_keys(done["executionCounts"]),
            "items": all_keys(done["itemCounts"]),
        },
    }
print(json.dumps(out))

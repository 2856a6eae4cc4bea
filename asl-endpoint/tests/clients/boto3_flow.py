"""boto3 against the asl endpoint: lists state machines, starts an execution of
a compiled workflow, describes it until it ends, pages its history (by hand with
maxResults 2, and with boto3's paginator), runs one StartSyncExecution, and tries
requests the endpoint must refuse. Prints one JSON object for the Rust test to
check. Settings come from ASL_ENDPOINT, ASL_REGION, ASL_KEY_ID and ASL_SECRET."""

import json
import os
import time

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["ASL_ENDPOINT"]
REGION = os.environ["ASL_REGION"]
KEY_ID = os.environ["ASL_KEY_ID"]
SECRET = os.environ["ASL_SECRET"]


def client(key_id=KEY_ID, secret=SECRET, **config):
    return boto3.client(
        "stepfunctions",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **config),
    )


def refusal(call):
    """AWS's error code, message and HTTP status of a refused call."""
    try:
        call()
    except ClientError as e:
        return [
            e.response["Error"]["Code"],
            e.response["Error"]["Message"],
            e.response["ResponseMetadata"]["HTTPStatusCode"],
        ]
    return None


sfn = client()
out = {}
machines = sfn.list_state_machines()["stateMachines"]
out["machines"] = [m["name"] for m in machines]
arn = next(m["stateMachineArn"] for m in machines if m["name"] == "Orders")

started = sfn.start_execution(
    stateMachineArn=arn,
    name="boto3-order",
    input=json.dumps({"qty": 2, "extra": 40, "fail": False}),
)
execution = started["executionArn"]
out["execution"] = execution
while True:
    described = sfn.describe_execution(executionArn=execution)
    if described["status"] != "RUNNING":
        break
    time.sleep(0.02)
out["status"] = described["status"]
out["output"] = json.loads(described["output"])

events, token, pages = [], None, 0
while True:
    request = {"executionArn": execution, "maxResults": 2}
    if token:
        request["nextToken"] = token
    page = sfn.get_execution_history(**request)
    pages += 1
    events += page["events"]
    token = page.get("nextToken")
    if not token:
        break
out["pages"] = pages
out["event_types"] = [e["type"] for e in events]
out["event_ids"] = [e["id"] for e in events]
# botocore turned every timestamp into a datetime.
out["dates"] = all(hasattr(e["timestamp"], "isoformat") for e in events)
paginator = sfn.get_paginator("get_execution_history")
out["paginated"] = sum(
    len(p["events"])
    for p in paginator.paginate(executionArn=execution, PaginationConfig={"PageSize": 3})
)

# StartSyncExecution goes to "sync-" + host unless told not to.
sync = client(inject_host_prefix=False).start_sync_execution(
    stateMachineArn=arn, input=json.dumps({"qty": 1, "extra": 1, "fail": False})
)
out["sync"] = {
    "status": sync["status"],
    "output": json.loads(sync["output"]),
    "arn": sync["executionArn"],
}

out["errors"] = {
    "unsigned": refusal(lambda: client(signature_version=UNSIGNED).list_state_machines()),
    "wrong_secret": refusal(lambda: client(secret="not-the-secret").list_state_machines()),
    "unknown_key": refusal(lambda: client(key_id="AKIDNOBODY").list_state_machines()),
    "unknown_machine": refusal(lambda: sfn.start_execution(stateMachineArn=arn + "Nope")),
    "bad_arn": refusal(lambda: sfn.describe_execution(executionArn="not-an-arn")),
    "bad_input": refusal(lambda: sfn.start_execution(stateMachineArn=arn, input="{not json")),
    "oversized": refusal(
        lambda: sfn.start_execution(
            stateMachineArn=arn, input=json.dumps({"pad": "x" * 262144})
        )
    ),
}
print(json.dumps(out))

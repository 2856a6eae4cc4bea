"""boto3 answering callbacks: SendTaskSuccess (after a heartbeat), SendTaskFailure
that the workflow's Catch takes, a heartbeat left to lapse, then a reused and a
guessed token. The task tokens are read from files the workflow's handler writes
(ASL_TOKENS/<execution>.token), as an approver would read them from a queue.
Prints one JSON object for the Rust test to check."""

import json
import os
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

sfn = boto3.client(
    "stepfunctions",
    endpoint_url=os.environ["ASL_ENDPOINT"],
    region_name=os.environ["ASL_REGION"],
    aws_access_key_id=os.environ["ASL_KEY_ID"],
    aws_secret_access_key=os.environ["ASL_SECRET"],
    config=Config(retries={"max_attempts": 1}),
)
machine = os.environ["ASL_MACHINE"]
tokens = os.environ["ASL_TOKENS"]


def token_of(name):
    path = os.path.join(tokens, name + ".token")
    for _ in range(500):
        if os.path.exists(path):
            with open(path) as f:
                return f.read()
        time.sleep(0.02)
    raise RuntimeError("no token for " + name)


def start(name, heartbeat):
    return sfn.start_execution(
        stateMachineArn=machine, name=name, input=json.dumps({"heartbeat": heartbeat})
    )["executionArn"]


def finished(arn):
    while True:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return {"status": d["status"], "output": json.loads(d.get("output", "null"))}
        time.sleep(0.02)


def refusal(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


out = {}
approve = start("boto3-approve", 30)
token = token_of("boto3-approve")
sfn.send_task_heartbeat(taskToken=token)
sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
out["approved"] = finished(approve)
out["reused"] = refusal(lambda: sfn.send_task_success(taskToken=token, output="{}"))
guessed = token[:20] + ("B" if token[20] != "B" else "C") + token[21:]
out["guessed"] = refusal(lambda: sfn.send_task_success(taskToken=guessed, output="{}"))
out["malformed"] = refusal(lambda: sfn.send_task_success(taskToken="guess", output="{}"))

reject = start("boto3-reject", 30)
sfn.send_task_failure(taskToken=token_of("boto3-reject"), error="Rejected", cause="not today")
out["rejected"] = finished(reject)

lapse = start("boto3-lapse", 1)
lapsed_token = token_of("boto3-lapse")
out["lapsed"] = finished(lapse)
out["late"] = refusal(lambda: sfn.send_task_success(taskToken=lapsed_token, output="{}"))
types, token = [], None
while True:
    request = {"executionArn": lapse, "maxResults": 2}
    if token:
        request["nextToken"] = token
    page = sfn.get_execution_history(**request)
    types += [e["type"] for e in page["events"]]
    token = page.get("nextToken")
    if not token:
        break
out["lapse_events"] = types
print(json.dumps(out))

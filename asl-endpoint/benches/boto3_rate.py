"""StartExecution through the asl endpoint with boto3: N calls, one client, one
after another; prints the rate. Settings from ASL_ENDPOINT, ASL_REGION,
ASL_KEY_ID, ASL_SECRET, ASL_MACHINE and ASL_CALLS."""

import json
import os
import time

import boto3
from botocore.config import Config

sfn = boto3.client(
    "stepfunctions",
    endpoint_url=os.environ["ASL_ENDPOINT"],
    region_name=os.environ["ASL_REGION"],
    aws_access_key_id=os.environ["ASL_KEY_ID"],
    aws_secret_access_key=os.environ["ASL_SECRET"],
    config=Config(retries={"max_attempts": 1}),
)
machine = os.environ["ASL_MACHINE"]
calls = int(os.environ.get("ASL_CALLS", "300"))
payload = json.dumps({"qty": 1, "extra": 2, "fail": False})
sfn.start_execution(stateMachineArn=machine, input=payload)  # connection and signer warm
start = time.perf_counter()
for _ in range(calls):
    sfn.start_execution(stateMachineArn=machine, input=payload)
elapsed = time.perf_counter() - start
print(json.dumps({"calls": calls, "seconds": elapsed, "per_second": calls / elapsed}))

"""What the Map Run scripts share: the Step Functions client on the endpoint,
the files that steer the children's handler (in ASL_DIR), waiting, and
DescribeMapRun's counts by name."""

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
folder = os.environ["ASL_DIR"]
KEYS = ("pending", "running", "succeeded", "failed", "timedOut", "aborted", "total",
        "resultsWritten", "failuresNotRedrivable", "pendingRedrive")


def touch(name):
    with open(os.path.join(folder, name), "w") as f:
        f.write("")


def until(what, check, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError("timed out waiting for " + what)


def finished(arn):
    return until(
        "the end of " + arn,
        lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
            sfn.describe_execution(executionArn=arn)
        ),
    )


def all_keys(c):
    return {k: c[k] for k in KEYS}

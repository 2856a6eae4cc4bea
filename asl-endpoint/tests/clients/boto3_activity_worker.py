"""An activity worker written with boto3: polls GetActivityTask, answers each
task with SendTaskSuccess, and stops at the first poll that brings nothing.
Prints the tokens and documents it handled. ASL_ACTIVITY names the activity,
ASL_WORKER the worker."""

import json
import os

import boto3
from botocore.config import Config

sfn = boto3.client(
    "stepfunctions",
    endpoint_url=os.environ["ASL_ENDPOINT"],
    region_name=os.environ["ASL_REGION"],
    aws_access_key_id=os.environ["ASL_KEY_ID"],
    aws_secret_access_key=os.environ["ASL_SECRET"],
    # GetActivityTask holds the request up to 60 s, as AWS does.
    config=Config(retries={"max_attempts": 1}, read_timeout=70),
)
activity = os.environ["ASL_ACTIVITY"]
worker = os.environ["ASL_WORKER"]
handled = {"worker": worker, "tokens": [], "documents": []}
while True:
    task = sfn.get_activity_task(activityArn=activity, workerName=worker)
    if not task.get("taskToken"):
        break
    document = json.loads(task["input"])["document"]
    sfn.send_task_success(
        taskToken=task["taskToken"], output=json.dumps({"by": worker, "document": document})
    )
    handled["tokens"].append(task["taskToken"])
    handled["documents"].append(document)
print(json.dumps(handled))

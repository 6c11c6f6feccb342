"""boto3 (Debian's python3-boto3) through the worker's POST / with worker-issued keys.

Run by aws-clients.test.ts against `npm start`. Argument: a JSON object with `endpoint` (the
worker), `lossy` (a proxy to it that loses the first PutSecretValue response after the worker
answered), `key` and `admin` (key pairs), and `prefix` / `other` (name prefixes inside and
outside the first key's grant). Prints one JSON object of findings for the test to check; it
never prints a secret value outside the grant.
"""
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

args = json.loads(sys.argv[1])


def client(key, endpoint=None):
    return boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        endpoint_url=endpoint or args["endpoint"],
        aws_access_key_id=key["accessKeyId"],
        aws_secret_access_key=key["secretAccessKey"],
        config=Config(retries={"mode": "standard", "max_attempts": 3}, read_timeout=10),
    )


def error_of(call):
    try:
        call()
    except ClientError as error:
        return {
            "code": error.response["Error"]["Code"],
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    return None


sm = client(args["key"])
admin = client(args["admin"])
prefix, other = args["prefix"], args["other"]
out = {}

name = f"{prefix}/db"
created = sm.create_secret(Name=name, SecretString="boto-s1")
out["created"] = created["Name"]
out["string"] = sm.get_secret_value(SecretId=name)["SecretString"]
out["byArn"] = sm.get_secret_value(SecretId=created["ARN"])["SecretString"]
binary = bytes([0, 1, 2, 250, 255, 10, 13])
sm.put_secret_value(SecretId=name, SecretBinary=binary)
got = sm.get_secret_value(SecretId=name)
out["binary"] = list(got["SecretBinary"])
out["binaryHasString"] = "SecretString" in got
sm.update_secret(SecretId=name, Description="via boto3")
out["description"] = sm.describe_secret(SecretId=name)["Description"]

# Secrets outside the grant, made with the admin key.
admin.create_secret(Name=f"{other}/db", SecretString="outside-value")
for i in range(5):
    admin.create_secret(Name=f"{prefix}/page/{i}", SecretString=f"in-{i}")
    admin.create_secret(Name=f"{other}/page/{i}", SecretString=f"out-{i}")

names, pages = [], 0
for page in sm.get_paginator("list_secrets").paginate(PaginationConfig={"PageSize": 2}):
    pages += 1
    names += [entry["Name"] for entry in page["SecretList"]]
out["listPages"] = pages
out["listNames"] = names

batch = sm.batch_get_secret_value(SecretIdList=[name, f"{other}/db", f"{prefix}/missing"])
out["batchValues"] = [value["Name"] for value in batch["SecretValues"]]
out["batchErrors"] = sorted([error["SecretId"], error["ErrorCode"]] for error in batch["Errors"])
out["batchText"] = "outside-value" in json.dumps(batch, default=str)

out["denied"] = [
    error_of(lambda: sm.get_secret_value(SecretId=f"{other}/db")),
    error_of(lambda: sm.put_secret_value(SecretId=f"{other}/db", SecretString="x")),
    error_of(lambda: sm.create_secret(Name=f"{other}/new", SecretString="x")),
    error_of(lambda: sm.rotate_secret(SecretId=name)),
]
out["unknownKey"] = error_of(
    lambda: client({**args["key"], "accessKeyId": "ESKA01AAAAAAAAAAAAAAAA"}).get_secret_value(
        SecretId=name
    )
)
out["wrongSecret"] = error_of(
    lambda: client({**args["key"], "secretAccessKey": args["admin"]["secretAccessKey"]}).get_secret_value(
        SecretId=name
    )
)

# The first PutSecretValue response is lost after the worker answered: boto3 retries with the
# same ClientRequestToken, so there is one new version, not two.
retry = f"{prefix}/retry"
sm.create_secret(Name=retry, SecretString="v1")
put = client(args["key"], args["lossy"]).put_secret_value(SecretId=retry, SecretString="v2")
versions = sm.describe_secret(SecretId=retry)["VersionIdsToStages"]
out["retryVersions"] = len(versions)
out["retryCurrent"] = versions.get(put["VersionId"])
out["retryValue"] = sm.get_secret_value(SecretId=retry)["SecretString"]

sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
out["deleted"] = error_of(lambda: sm.get_secret_value(SecretId=name))
sm.restore_secret(SecretId=name)
out["restored"] = list(sm.get_secret_value(SecretId=name)["SecretBinary"])
out["password"] = len(sm.get_random_password(PasswordLength=24)["RandomPassword"])
print(json.dumps(out))

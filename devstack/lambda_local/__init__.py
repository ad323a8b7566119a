"""A local AWS Lambda for ``make run``: the app's workers run as Lambda runs them.

Chalice's local server never runs ``@app.lambda_function`` handlers and moto runs Lambda
code only in Docker, so the local stack brings its own: an HTTP endpoint on loopback that
speaks Lambda's ``Invoke`` API (boto3 reaches it through ``AWS_ENDPOINT_URL_LAMBDA``), a
bounded pool of reusable worker processes (warm execution environments), the function
timeout enforced by killing the process, asynchronous retries, the maximum event age and
the on-failure destination, all read from the same files the deployment uses
(``.chalice/config.json`` and ``infra/resources.json``). Never packaged into a Lambda.
"""

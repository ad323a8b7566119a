"""The AWS error policy, in one home: what is transient or a throttle, the one error-code
lookup and the one backoff (``policy``), and the one retry loop built on them (``retries``)."""

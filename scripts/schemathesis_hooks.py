"""schemathesis hooks for scripts/schemathesis.sh: the subscriber's sessions.

The script signs the subscriber in ST_SESSIONS times before the run and passes the tokens in
ST_TOKENS. The fuzzer logs out with the token it holds, and sends wrong passwords to the
password change and the profile deletion, which count as failed logins of the subscriber
(docs/security.md), so that a new login would soon be refused (429): instead, on a 401 the next
session of the pool is taken.
"""

import os
import threading

import schemathesis

_TOKENS = os.environ.get("ST_TOKENS", "").split()
_LOCK = threading.Lock()
_NEXT = [0]


@schemathesis.auth(retry_on=[401])
class SessionPool:
    def get(self, case, context):
        with _LOCK:
            if _NEXT[0] >= len(_TOKENS):
                raise RuntimeError(f"all {len(_TOKENS)} sessions were used up: raise ST_SESSIONS")
            token = _TOKENS[_NEXT[0]]
            _NEXT[0] += 1
            return token

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"

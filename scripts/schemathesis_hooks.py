"""schemathesis hooks for scripts/schemathesis.sh: the subscriber's sessions.

The script signs the subscriber in ST_SESSIONS times before the run and passes the tokens in
ST_TOKENS (and the server's base URL in ST_BASE). The fuzzer logs out with the token it holds,
and sends wrong passwords to the password change and the profile deletion, which count as failed
logins of the subscriber (docs/security.md), so that a new login would soon be refused (429):
instead, whenever schemathesis asks for credentials (for each operation, and again after a 401),
the session in use is kept while `GET /profile` still takes it, else the next one is taken.
"""

import os
import threading
import urllib.error
import urllib.request

import schemathesis

_TOKENS = os.environ.get("ST_TOKENS", "").split()
_BASE = os.environ.get("ST_BASE", "")
_LOCK = threading.Lock()
_CURRENT = [0]


def _alive(token):
    request = urllib.request.Request(
        f"{_BASE}/api/v1/profile", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


@schemathesis.auth(retry_on=[401])
class SessionPool:
    def get(self, case, context):
        with _LOCK:
            while _CURRENT[0] < len(_TOKENS):
                token = _TOKENS[_CURRENT[0]]
                if _alive(token):
                    return token
                _CURRENT[0] += 1
            raise RuntimeError(f"all {len(_TOKENS)} sessions were used up: raise ST_SESSIONS")

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"

"""gunicorn settings for every way Pilotgate runs under gunicorn (`make up`, the Docker
image, docker compose, the black-box tests): gunicorn reads ./gunicorn.conf.py from the
directory it starts in, and command-line options still override it.

- The request line may be as long as gunicorn allows short of unlimited (8,190 bytes, its
  default is 4,094), so a query string up to the application's own limit
  (PILOTGATE_MAX_QUERY_BYTES, 4,096 bytes) reaches the application, which refuses longer
  ones with 414 in the API's JSON error shape.
- What gunicorn still refuses itself (a request line over 8,190 bytes, headers too large,
  a malformed request) it answers in the same JSON shape, with the security headers every
  other answer carries, instead of its HTML page.
"""

import json

from gunicorn import util

limit_request_line = 8190

_HEADERS = (
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def _json_error(sock, status_int, reason, mesg):
    """gunicorn's own error answer (gunicorn.util.write_error), as JSON."""
    message = f"{reason}: {mesg}" if mesg else str(reason)
    body = json.dumps({"message": message[:500], "errors": {}}).encode()
    head = [f"HTTP/1.1 {status_int} {reason}", "Connection: close"]
    head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in _HEADERS]
    util.write_nonblock(sock, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


# The workers look the function up on the module at the time of each error.
util.write_error = _json_error

#!/usr/bin/env python3
"""A minimal Stalwart MTA Hook, standard library only.

Accepts everything, refuses senders of blocked.example at MAIL FROM, and at
DATA adds an X-Recipe-Hook header and, when the message can be rebuilt byte
for byte, an X-Message-SHA256 header.

    python3 hook.py 8025        # listens on 127.0.0.1:8025 (0: a free port)
"""
import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BLOCKED_DOMAINS = {"blocked.example"}


def rebuild(message):
    """The message as Stalwart received it, and whether it is exact.

    Each header value already carries its leading space and its CRLF (folds
    included): join name + ":" + value, then the empty line, then the body.
    Not exact when Stalwart replaced bytes that were not UTF-8 with U+FFFD,
    or when the length differs from size (a message without an empty line).
    """
    text = "".join(name + ":" + value for name, value in message["headers"])
    text += "\r\n" + message["contents"]
    raw = text.encode("utf-8")
    exact = len(raw) == message["size"] and "\ufffd" not in text
    return raw, exact


def decide(request):
    stage = request["context"]["stage"]
    if stage == "mail":
        sender = request["envelope"]["from"]["address"]  # "" for <>
        if sender.rpartition("@")[2] in BLOCKED_DOMAINS:
            return {"action": "reject",
                    "response": {"status": 550, "enhanced_status": "5.7.1",
                                 "message": "Sender blocked by policy"}}
    if stage == "data":
        mods = [{"type": "addHeader", "name": "X-Recipe-Hook", "value": "hook.py"}]
        raw, exact = rebuild(request["message"])
        if exact:
            mods.append({"type": "addHeader", "name": "X-Message-SHA256",
                         "value": hashlib.sha256(raw).hexdigest()})
        return {"action": "accept", "modifications": mods}
    return {"action": "accept"}


class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Stalwart's client expects
    # The head and the body go out in two writes: without TCP_NODELAY the
    # second waits for the client's delayed ACK, about 40 ms per call.
    disable_nagle_algorithm = True

    def do_POST(self):
        try:
            length = int(self.headers.get("Content-Length", "0"))
            answer = decide(json.loads(self.rfile.read(length)))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            # Stalwart treats any non-2xx as a hook error (451 4.3.5).
            self.reply(400, "text/plain", f"hook.py: bad request: {e!r}".encode())
            return
        self.reply(200, "application/json", json.dumps(answer).encode())

    def reply(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8025
    server = ThreadingHTTPServer(("127.0.0.1", port), Hook)
    print(f"hook.py listening on http://127.0.0.1:{server.server_port}/", flush=True)
    server.serve_forever()

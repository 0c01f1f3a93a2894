# A Harpoon webhook receiver: Python 3.8+, standard library only.
# Run: HARPOON_WEBHOOK_SECRET=whsec_... PORT=3000 python3 receiver.py
import hashlib
import hmac
import json
import os
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["HARPOON_WEBHOOK_SECRET"]  # the whsec_... shown when you created the endpoint
TOLERANCE_SECONDS = 5 * 60

# Webhooks are delivered at least once: remember what you processed. In production keep this in
# your database (a unique index on webhook_id), in the same transaction as the order update.
processed = set()


def verify_harpoon_webhook(secret, headers, raw_body, now=None):
    timestamp = headers.get("X-Harpoon-Timestamp", "")
    signature = headers.get("X-Harpoon-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
        return False
    now = int(time.time()) if now is None else now
    # Refuse old (and future) timestamps so a captured request cannot be replayed later.
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    # HMAC-SHA256 keyed with the whole secret string, over "{timestamp}.{raw body}".
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(("sha256=" + digest).encode(), signature.encode())  # constant time


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        # Verify the raw bytes exactly as received, before any JSON parsing.
        raw_body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not verify_harpoon_webhook(SECRET, self.headers, raw_body):
            return self.reply(401, b"invalid signature or timestamp")
        event = json.loads(raw_body)
        # Dedupe on the webhook_id inside the signed body: it is the same on every retry and replay.
        if event["webhook_id"] in processed:
            return self.reply(200, b"already processed")
        processed.add(event["webhook_id"])
        # Your work goes here, e.g. for "transaction.completed" ship event["data"]["client_reference"].
        print(json.dumps({"received": event["event"], "webhook_id": event["webhook_id"]}), flush=True)
        self.reply(200, b"ok")  # any 2xx, within the daemon's timeout

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = HTTPServer(("", int(os.environ.get("PORT", "3000"))), Handler)
print(f"listening on {server.server_port}", flush=True)
server.serve_forever()

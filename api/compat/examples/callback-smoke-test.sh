#!/bin/sh
# Check that MTN's callbacks reach the proxy: an unsigned POST to the callback listener. The daemon
# records it and asks MTN about the transaction; a callback never settles anything by itself.
curl -sS -X POST "$PROXY_URL/callback" \
  -H "Content-Type: application/json" \
  -d '{"referenceId": "'"$REFERENCE_ID"'", "externalId": "order-1001", "status": "SUCCESSFUL"}'

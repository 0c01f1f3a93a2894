#!/bin/sh
# Poll a request to pay: PENDING until MTN decides, then SUCCESSFUL, FAILED, TIMEOUT or CANCELLED.
curl -sS "$PROXY_URL/status/$REFERENCE_ID" -H "X-Proxy-Api-Key: $PROXY_API_KEY"

#!/bin/sh
# Ask MTN to prompt the payer for 100 GHS. Answers 202 {"referenceId": "…", "status": "PENDING"}.
# PROXY_URL is the daemon (http://127.0.0.1:8080), PROXY_API_KEY the key `harpoon proxy-clients create`
# printed, CALLBACK_URL where the final state should go (else the client's default).
curl -sS -X POST "$PROXY_URL/request-to-pay" \
  -H "X-Proxy-Api-Key: $PROXY_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "amount": "100",
    "currency": "GHS",
    "externalId": "order-1001",
    "payer": { "partyIdType": "MSISDN", "partyId": "233241234567" },
    "payerMessage": "Payment for order 1001",
    "payeeNote": "Order 1001",
    "callbackUrl": "'"$CALLBACK_URL"'"
  }'

<?php
// Receive the MoMo proxy's forward of a final state at your callbackUrl, and check it really comes
// from the proxy: X-MoMo-Proxy-Signature is the hex HMAC-SHA256 of the raw body, keyed with your
// X-Proxy-Api-Key.
$apiKey = getenv('PROXY_API_KEY');
$payload = file_get_contents('php://input');
$received = $_SERVER['HTTP_X_MOMO_PROXY_SIGNATURE'] ?? '';
$expected = hash_hmac('sha256', $payload, $apiKey);
if (!hash_equals($expected, $received)) {
    http_response_code(401);
    exit('invalid signature');
}
$transaction = json_decode($payload, true);
// $transaction['referenceId'], ['externalId'], ['status'] (SUCCESSFUL, FAILED, TIMEOUT, CANCELLED),
// ['financialTxId'], ['failureReason']. Forwards are retried until you answer 2xx: process each
// referenceId and status once.
http_response_code(200);
echo 'ok';

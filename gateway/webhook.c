/* webhook.c: webhook deliveries (see webhook.h). */
#include "webhook.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int webhook_sign(const char *secret, const char *ts, const void *body, size_t len,
                 char out[WEBHOOK_SIG_HEX + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    int rc = -1;
    char digest[] = "SHA256";
    EVP_MAC *m = NULL;
    EVP_MAC_CTX *ctx = NULL;

    out[0] = '\0';
    if (!secret || !secret[0])
        return -1;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    /* The timestamp is signed with the body: a captured request cannot be
     * replayed later with a fresh X-Patrol-Timestamp. */
    if (!ctx || EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) != 1 ||
        EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) != 1 ||
        EVP_MAC_update(ctx, (const unsigned char *)".", 1) != 1 ||
        (len > 0 && EVP_MAC_update(ctx, body, len) != 1) ||
        EVP_MAC_final(ctx, mac, &maclen, sizeof mac) != 1 || maclen * 2 != WEBHOOK_SIG_HEX)
        goto done;
    for (size_t i = 0; i < maclen; i++)
        snprintf(out + i * 2, 3, "%02x", mac[i]);
    rc = 0;
done:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return rc;
}

enum dlv_outcome webhook_classify(int curlcode, long code, int os_errno, char *err, size_t errsz)
{
    char ebuf[LOG_STRERROR_MAX]; /* called on the curl worker thread */
    CURLcode rc = (CURLcode)curlcode;
    err[0] = '\0';
    if (rc != CURLE_OK) {
        if (os_errno)
            snprintf(err, errsz, "webhook: %s: %s", curl_easy_strerror(rc),
                     log_strerror(os_errno, ebuf, sizeof ebuf));
        else
            snprintf(err, errsz, "webhook: %s", curl_easy_strerror(rc));
        switch (rc) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
            return DLV_PERMANENT; /* the URL can never work */
        default:
            return DLV_RETRY;     /* timeouts, refused, DNS, TLS, resets */
        }
    }
    if (code >= 200 && code <= 299)
        return DLV_OK;
    if (code == 408 || code == 429 || (code >= 500 && code <= 599)) {
        snprintf(err, errsz, "webhook: HTTP %ld", code);
        return DLV_RETRY;
    }
    /* Redirects are not followed: the signed alert would go to a place the
     * partner did not configure (and a 303 turns the POST into a GET). The
     * partner fixes its URL instead. */
    if (code >= 300 && code <= 399)
        snprintf(err, errsz, "webhook: HTTP %ld: redirects are not followed", code);
    else
        snprintf(err, errsz, "webhook: HTTP %ld", code);
    return DLV_PERMANENT;
}

int webhook_start(curlw *w, const dlv_item *it)
{
    const cfg_partner *p = it->partner;
    char line[GW_URL_MAX + 64], clean[160], ts[24], sig[WEBHOOK_SIG_HEX + 1];
    char *body = NULL;
    curlw_req *r = NULL;
    const char *why = NULL;

    if (curlw_room(w) <= 0)
        return -1;
    if (!p->webhook_url[0])
        why = "partner has no webhook";
    else if (!p->webhook_secret[0])
        why = "partner has no webhook secret";
    else if (it->payload_len > GW_DELIVERY_BODY_MAX)
        why = "payload too large";
    if (why) {
        log_warn("webhook", "row %lld not sent: %s", (long long)it->row, why);
        return curlw_fail(w, it->row, DLV_PERMANENT, why);
    }
    snprintf(ts, sizeof ts, "%lld", (long long)(it->now / 1000));
    if (webhook_sign(p->webhook_secret, ts, it->payload, it->payload_len, sig))
        return -1;
    body = malloc(it->payload_len + 1);
    if (!body)
        return -1;
    memcpy(body, it->payload, it->payload_len);
    body[it->payload_len] = '\0';
    r = curlw_req_new(it->row, webhook_classify);
    if (!r)
        goto fail;
    CURL *e = curlw_req_easy(r);
    CURLW_SET(e, CURLOPT_URL, p->webhook_url);
    CURLW_SET(e, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLW_SET(e, CURLOPT_SSL_VERIFYPEER, p->webhook_verify_tls ? 1L : 0L);
    CURLW_SET(e, CURLOPT_SSL_VERIFYHOST, p->webhook_verify_tls ? 2L : 0L);
    if (p->webhook_ca_file[0])
        CURLW_SET(e, CURLOPT_CAINFO, p->webhook_ca_file);
    CURLW_SET(e, CURLOPT_TIMEOUT_MS, (long)p->webhook_timeout_ms);
    CURLW_SET(e, CURLOPT_USERAGENT, "patrolgw/" PATROL_VERSION);
    curlw_clean(clean, sizeof clean, it->alert_id ? it->alert_id : "");
    int hdr_rc = curlw_req_header(r, "Content-Type: application/json");
    snprintf(line, sizeof line, "Idempotency-Key: %s", clean);
    hdr_rc |= curlw_req_header(r, line);
    snprintf(line, sizeof line, "X-Patrol-Timestamp: %s", ts);
    hdr_rc |= curlw_req_header(r, line);
    snprintf(line, sizeof line, "X-Patrol-Signature: sha256=%s", sig);
    hdr_rc |= curlw_req_header(r, line);
    curlw_clean(clean, sizeof clean, it->kind ? it->kind : "alert");
    snprintf(line, sizeof line, "X-Patrol-Kind: %s", clean);
    hdr_rc |= curlw_req_header(r, line);
    /* No "Expect: 100-continue" wait before larger bodies. */
    hdr_rc |= curlw_req_header(r, "Expect:");
    if (hdr_rc)
        goto fail;
    /* The request owns the body from here, whatever the result. */
    char *owned = body;
    body = NULL;
    if (curlw_req_body(r, owned, it->payload_len, 0))
        goto fail;
    log_debug("webhook", "row %lld: %zu bytes", (long long)it->row, it->payload_len);
    return curlw_submit(w, r);
fail:
    free(body);
    curlw_req_free(r);
    return -1;
}

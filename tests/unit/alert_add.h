/* alert_add.h: the tests' short form of store_alert_add: an alert row of
 * kind "alert", pending, due at created_at. 0 (added or already there) or -1. */
#ifndef TEST_ALERT_ADD_H
#define TEST_ALERT_ADD_H

#include "store_alerts.h"

static inline int test_alert_add(store *s, const char *alert_id, int64_t ref, const char *partner,
                                 const char *channel, int64_t at, const char *payload)
{
    store_alert_new a = { .alert_id = alert_id, .ref = ref, .partner = partner,
                          .channel = channel, .created_at = at, .payload = payload };
    return store_alert_add(s, &a) < 0 ? -1 : 0;
}

#endif

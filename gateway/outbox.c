/* outbox.c: the outbox's MQTT deliverer: partner alerts (QoS 1,
 * <prefix>/alerts/<partner>) and the reporters' ACK notices (channel radio,
 * <prefix>/out/<network>/<unit>). */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "prc_limits.h"

typedef struct inflight {
    int mid;            /* libmosquitto message id; 0 = free slot */
    int64_t id;         /* alerts.id */
    int64_t at;         /* monotonic ms published */
} inflight;

typedef struct picked {
    int64_t id;
    char partner[GW_NAME_MAX + 1];
    char target[GW_NETWORK_MAX + GW_UNIT_MAX + 2]; /* radio notice: network/unit; "" alert */
    char *payload;      /* owned */
} picked;

struct outbox {
    int64_t retry_ms;
    inflight fly[GW_ALERTS_INFLIGHT_MAX];
    int nfly;
    int64_t acked[GW_ALERTS_INFLIGHT_MAX]; /* alerts.id PUBACKed, not yet recorded */
    int nacked;
    picked pick[GW_ALERTS_INFLIGHT_MAX];
    int npick;
};

outbox *outbox_new(int64_t retry_ms)
{
    outbox *o = calloc(1, sizeof *o);
    if (o)
        o->retry_ms = retry_ms;
    return o;
}

void outbox_forget(outbox *o)
{
    for (int i = 0; i < o->npick; i++)
        free(o->pick[i].payload);
    o->npick = 0;
}

void outbox_free(outbox *o)
{
    if (!o)
        return;
    outbox_forget(o);
    free(o);
}

static int is_flying(const outbox *o, int64_t id)
{
    for (int i = 0; i < GW_ALERTS_INFLIGHT_MAX; i++)
        if (o->fly[i].mid && o->fly[i].id == id)
            return 1;
    return 0;
}

static int pick_one(void *arg, const store_alert *a)
{
    outbox *o = arg;
    if (o->npick >= GW_ALERTS_INFLIGHT_MAX - o->nfly || is_flying(o, a->id))
        return -1;
    picked *p = &o->pick[o->npick];
    p->payload = strdup(a->payload);
    if (!p->payload)
        return -1;
    p->id = a->id;
    snprintf(p->partner, sizeof p->partner, "%s", a->partner);
    snprintf(p->target, sizeof p->target, "%s", strcmp(a->channel, "radio") == 0 ? a->target : "");
    o->npick++;
    return 0;
}

int outbox_prepare(outbox *o, store *s, int64_t now, int can_publish)
{
    for (int i = 0; i < o->nacked; i++)
        if (store_alert_sent(s, o->acked[i], now))
            return -1;
    o->nacked = 0;
    outbox_forget(o);
    int room = GW_ALERTS_INFLIGHT_MAX - o->nfly;
    if (!can_publish || room <= 0)
        return 0;
    /* Rows in flight stay due (nothing is written per attempt): ask for enough
     * rows to skip them and still fill the room. */
    if (store_alerts_due(s, "mqtt", now, room + o->nfly, 0, pick_one, o) < 0)
        return -1;
    room = GW_ALERTS_INFLIGHT_MAX - o->nfly - o->npick;
    if (room <= 0)
        return 0;
    return store_alerts_due(s, "radio", now, room + o->nfly, 0, pick_one, o) < 0 ? -1 : 0;
}

void outbox_publish(outbox *o, mqtt_conn *m, const char *prefix)
{
    int64_t now = clock_mono_ms();
    for (int i = 0; i < o->npick; i++) {
        picked *p = &o->pick[i];
        char topic[GW_TOPIC_MAX];
        int mid = 0;
        if (p->target[0])
            snprintf(topic, sizeof topic, "%s/out/%s", prefix, p->target);
        else
            snprintf(topic, sizeof topic, "%s/alerts/%s", prefix, p->partner);
        /* Not published now: the row stays due and is picked again. */
        if (mqtt_publish(m, topic, p->payload, (int)strlen(p->payload), 1, &mid) != 0)
            continue;
        for (int k = 0; k < GW_ALERTS_INFLIGHT_MAX; k++) {
            if (o->fly[k].mid == 0) {
                o->fly[k] = (inflight){ mid, p->id, now };
                o->nfly++;
                break;
            }
        }
    }
    outbox_forget(o);
}

void outbox_on_puback(outbox *o, int mid)
{
    for (int i = 0; i < GW_ALERTS_INFLIGHT_MAX; i++) {
        if (o->fly[i].mid == mid) {
            if (o->nacked < GW_ALERTS_INFLIGHT_MAX)
                o->acked[o->nacked++] = o->fly[i].id;
            o->fly[i].mid = 0;
            o->nfly--;
            return;
        }
    }
}

int outbox_has_acks(const outbox *o) { return o->nacked > 0; }

int outbox_inflight(const outbox *o) { return o->nfly; }

void outbox_expire(outbox *o, int64_t now_mono)
{
    for (int i = 0; i < GW_ALERTS_INFLIGHT_MAX; i++) {
        if (o->fly[i].mid && now_mono - o->fly[i].at > o->retry_ms) {
            log_warn("outbox", "no PUBACK for an alert after %lld ms; it will be resent",
                     (long long)o->retry_ms);
            o->fly[i].mid = 0;
            o->nfly--;
        }
    }
}

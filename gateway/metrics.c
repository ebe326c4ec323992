/* metrics.c: the Prometheus text format (metrics.h). */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "prc_limits.h"
#include "store_admin.h"
#include "store_dash.h"
#include "store_reports.h"

const double metrics_bucket_le[METRICS_BUCKETS] = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800 };

void metrics_hist_observe(metrics_hist *h, double seconds)
{
    h->count++;
    h->sum += seconds;
    for (int i = 0; i < METRICS_BUCKETS; i++)
        if (seconds <= metrics_bucket_le[i]) {
            h->bucket[i]++;
            return;
        }
}

void metrics_label(html_buf *b, const char *name, const char *value, int first)
{
    html_printf(b, "%s%s=\"", first ? "" : ",", name);
    for (const char *p = value; *p; p++) {
        if (*p == '\\')
            html_puts(b, "\\\\");
        else if (*p == '"')
            html_puts(b, "\\\"");
        else if (*p == '\n')
            html_puts(b, "\\n");
        else
            html_add(b, p, 1);
    }
    html_puts(b, "\"");
}

void metrics_family(html_buf *b, const char *name, const char *type, const char *help)
{
    html_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_hist_write(html_buf *b, const char *name, const char *labels, const metrics_hist *h)
{
    long cum = 0;
    const char *sep = labels[0] ? "," : "";
    for (int i = 0; i < METRICS_BUCKETS; i++) {
        cum += h->bucket[i];
        html_printf(b, "%s_bucket{%s%sle=\"%g\"} %ld\n", name, labels, sep, metrics_bucket_le[i], cum);
    }
    html_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %ld\n", name, labels, sep, h->count);
    html_printf(b, "%s_sum%s%s%s %.3f\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
                h->sum);
    html_printf(b, "%s_count%s%s%s %ld\n", name, labels[0] ? "{" : "", labels,
                labels[0] ? "}" : "", h->count);
}

/* ------------------------------------------------------------ from the store */

static int put_message(void *arg, const char *channel, const char *outcome, long n)
{
    html_buf *b = arg;
    html_puts(b, "patrolgw_messages_total{");
    metrics_label(b, "channel", channel, 1);
    metrics_label(b, "outcome", outcome, 0);
    html_printf(b, "} %ld\n", n);
    return 0;
}

static int put_report(void *arg, const char *code, int priority, long n)
{
    html_buf *b = arg;
    char p[16];
    snprintf(p, sizeof p, "P%d", priority);
    html_puts(b, "patrolgw_reports_total{");
    metrics_label(b, "code", code, 1);
    metrics_label(b, "priority", p, 0);
    html_printf(b, "} %ld\n", n);
    return 0;
}

static int put_alert(void *arg, const char *partner, const char *channel, const char *state, long n)
{
    html_buf *b = arg;
    html_puts(b, "patrolgw_alerts{");
    metrics_label(b, "partner", partner, 1);
    metrics_label(b, "channel", channel, 0);
    metrics_label(b, "state", state, 0);
    html_printf(b, "} %ld\n", n);
    return 0;
}

/* One histogram per (partner, channel). */
#define LAT_SERIES (GW_MAX_PARTNERS * 4)
typedef struct lat_series {
    char partner[GW_NAME_MAX + 1];
    char channel[16];
    metrics_hist h;
} lat_series;
typedef struct lat_all {
    lat_series s[LAT_SERIES];
    int n;
} lat_all;

static int add_latency(void *arg, const char *partner, const char *channel, int64_t ms)
{
    lat_all *a = arg;
    int i = 0;
    while (i < a->n && (strcmp(a->s[i].partner, partner) != 0 || strcmp(a->s[i].channel, channel) != 0))
        i++;
    if (i == a->n) {
        if (a->n == LAT_SERIES)
            return 0; /* partners removed from the config still have rows: the cap holds */
        snprintf(a->s[i].partner, sizeof a->s[i].partner, "%s", partner);
        snprintf(a->s[i].channel, sizeof a->s[i].channel, "%s", channel);
        a->n++;
    }
    metrics_hist_observe(&a->s[i].h, ms < 0 ? 0.0 : (double)ms / 1000.0);
    return 0;
}

typedef struct status_vals {
    int broker_known, broker_up;
    int modem_known, modem_up;
    int signal_known;
    long signal;
} status_vals;

static void read_status(void *arg, const char *key, const char *value, int64_t updated_at)
{
    status_vals *v = arg;
    (void)updated_at;
    if (!value)
        return;
    if (!strcmp(key, "broker_state")) {
        v->broker_known = 1;
        v->broker_up = !strcmp(value, "connected");
    } else if (!strcmp(key, "sms_modem")) {
        v->modem_known = 1;
        v->modem_up = !strcmp(value, "connected");
    } else if (!strcmp(key, "sms_signal_percent") && value[0]) {
        char *end;
        long n = strtol(value, &end, 10);
        if (*end == '\0' && n >= 0 && n <= 100) {
            v->signal_known = 1;
            v->signal = n;
        }
    }
}

static void gauge(html_buf *b, const char *name, const char *help, long v)
{
    metrics_family(b, name, "gauge", help);
    html_printf(b, "%s %ld\n", name, v);
}

int metrics_render(store *s, const metrics_live *live, html_buf *b)
{
    metrics_family(b, "patrolgw_messages_total", "counter",
                   "Inbound messages journaled, by channel and outcome.");
    if (dashq_message_counts(s, put_message, b) < 0)
        return -1;
    metrics_family(b, "patrolgw_reports_total", "counter", "Reports made, by code and priority.");
    if (dashq_report_counts(s, put_report, b) < 0)
        return -1;
    metrics_family(b, "patrolgw_alerts", "gauge",
                   "Alert deliveries by partner, channel and current state.");
    if (dashq_alert_counts(s, put_alert, b) < 0)
        return -1;

    lat_all *lat = calloc(1, sizeof *lat);
    if (!lat)
        return -1;
    if (dashq_alert_latencies(s, add_latency, lat) < 0) {
        free(lat);
        return -1;
    }
    metrics_family(b, "patrolgw_alert_delivery_seconds", "histogram",
                   "Time from an alert's creation to its delivery (sent_at - created_at).");
    for (int i = 0; i < lat->n; i++) {
        html_buf labels;
        html_init(&labels, 512);
        metrics_label(&labels, "partner", lat->s[i].partner, 1);
        metrics_label(&labels, "channel", lat->s[i].channel, 0);
        if (!html_failed(&labels))
            metrics_hist_write(b, "patrolgw_alert_delivery_seconds", labels.p, &lat->s[i].h);
        html_free(&labels);
    }
    free(lat);

    store_queues q;
    if (store_queue_depths(s, &q))
        return -1;
    metrics_family(b, "patrolgw_queue_depth", "gauge",
                   "Items waiting: alerts pending and retrying, SMS to send, SMS parts to join.");
    html_printf(b, "patrolgw_queue_depth{queue=\"alerts_pending\"} %ld\n", q.alerts_pending);
    html_printf(b, "patrolgw_queue_depth{queue=\"alerts_retrying\"} %ld\n", q.alerts_retrying);
    if (q.sms_out_pending >= 0)
        html_printf(b, "patrolgw_queue_depth{queue=\"sms_out\"} %ld\n", q.sms_out_pending);
    if (q.sms_parts_waiting >= 0)
        html_printf(b, "patrolgw_queue_depth{queue=\"sms_parts\"} %ld\n", q.sms_parts_waiting);
    gauge(b, "patrolgw_dead_letters", "Alert deliveries given up (state failed).", q.alerts_failed);
    gauge(b, "patrolgw_reports_open", "Reports not cleared.", q.reports_open);

    status_vals sv;
    memset(&sv, 0, sizeof sv);
    if (store_status_each(s, read_status, &sv))
        return -1;
    if (sv.broker_known)
        gauge(b, "patrolgw_broker_connected", "1 if the MQTT broker connection is up.", sv.broker_up);
    if (sv.modem_known)
        gauge(b, "patrolgw_modem_connected", "1 if the GSM modem answers.", sv.modem_up);
    if (sv.signal_known)
        gauge(b, "patrolgw_modem_signal_percent", "GSM signal strength as the modem reports it.",
              sv.signal);

    int64_t bytes;
    if (dashq_store_bytes(s, &bytes))
        return -1;
    gauge(b, "patrolgw_store_bytes", "Size of the SQLite database file.", (long)bytes);
    char wal[GW_PATH_MAX + 8];
    struct stat stw;
    long wal_bytes = 0;
    if (snprintf(wal, sizeof wal, "%s-wal", live->store_path) < (int)sizeof wal && stat(wal, &stw) == 0)
        wal_bytes = (long)stw.st_size;
    gauge(b, "patrolgw_store_wal_bytes", "Size of the SQLite write-ahead log.", wal_bytes);

    metrics_family(b, "patrolgw_start_time_seconds", "gauge", "When this patrolgw started (Unix time).");
    html_printf(b, "patrolgw_start_time_seconds %.3f\n", (double)live->started_at / 1000.0);
    metrics_family(b, "patrolgw_core_commit_age_seconds", "gauge",
                   "Seconds since the core last committed a transaction (-1: not yet).");
    html_printf(b, "patrolgw_core_commit_age_seconds %.3f\n",
                live->last_commit_age_ms < 0 ? -1.0 : (double)live->last_commit_age_ms / 1000.0);
    gauge(b, "patrolgw_http_sessions", "Dashboard sessions open.", live->sessions);
    metrics_family(b, "patrolgw_http_logins_total", "counter",
                   "Dashboard logins since start, by result.");
    html_printf(b, "patrolgw_http_logins_total{result=\"ok\"} %ld\n", live->logins);
    html_printf(b, "patrolgw_http_logins_total{result=\"failed\"} %ld\n", live->login_failures);
    return html_failed(b) ? -1 : 0;
}

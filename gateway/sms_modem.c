/* sms_modem.c: the modem thread around libgammu (see sms_modem.h). */
#include "sms_modem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gammu.h>

#include "clock.h"
#include "log.h"
#include "threads.h"
#include "sms_join.h"

/* Reconnect backoff: first wait, cap. */
#define RECONNECT_FIRST_MS 500
#define RECONNECT_MAX_MS 60000
/* Health (signal, network) is asked at most this often. */
#define HEALTH_EVERY_MS 10000
/* How long a real modem may take to confirm a send. */
#define SEND_CONFIRM_MS 60000
/* SMS read in one poll at most (a modem holds far fewer). */
#define POLL_MAX_SMS 2000

typedef struct handed {
    int folder, location;
    int seen;                     /* seen in the current poll */
    int del;                      /* committed: delete once connected again */
} handed;

struct sms_modem {
    cfg_sms cfg;                  /* copy */
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;            /* commands arrived, room for events, stop */
    int stop;
    sms_event *ev;                /* ring, owned */
    int ev_head, ev_len;
    sms_cmd *cmd;                 /* ring, owned */
    int cmd_head, cmd_len;
    int pipe_rd, pipe_wr;         /* wakes the core */
    /* Thread-only state. */
    GSM_StateMachine *gsm;        /* owned, NULL when not connected */
    GSM_MultiSMSMessage *multi;   /* owned: large (50 SMS), not on the stack */
    char pin[32];
    handed handed[SMS_HANDED_MAX];
    int nhanded;
    int send_status;              /* from the callback: -1 waiting */
    int send_ref;
    sms_event health;             /* last reported */
    int64_t last_poll_ok;
};

/* ------------------------------------------------------------------ queues */

/* Thread side: waits for room, then queues ev and wakes the core. 0, or -1 when stopping. */
static int emit(sms_modem *m, const sms_event *ev)
{
    pthread_mutex_lock(&m->mu);
    while (m->ev_len == SMS_EVENTS_MAX && !m->stop)
        pthread_cond_wait(&m->cv, &m->mu);
    if (m->stop) {
        pthread_mutex_unlock(&m->mu);
        return -1;
    }
    m->ev[(m->ev_head + m->ev_len) % SMS_EVENTS_MAX] = *ev;
    m->ev_len++;
    pthread_mutex_unlock(&m->mu);
    (void)!write(m->pipe_wr, "s", 1);
    return 0;
}

int sms_modem_take(sms_modem *m, sms_event *out, int max)
{
    char buf[64];
    while (read(m->pipe_rd, buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&m->mu);
    int n = 0;
    while (n < max && m->ev_len > 0) {
        out[n++] = m->ev[m->ev_head];
        m->ev_head = (m->ev_head + 1) % SMS_EVENTS_MAX;
        m->ev_len--;
    }
    int more = m->ev_len > 0;
    if (n > 0)
        pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (more) /* the core comes back for the rest at its next turn */
        (void)!write(m->pipe_wr, "s", 1);
    return n;
}

int sms_modem_push(sms_modem *m, const sms_cmd *c)
{
    pthread_mutex_lock(&m->mu);
    if (m->cmd_len == SMS_CMDS_MAX) {
        pthread_mutex_unlock(&m->mu);
        return -1;
    }
    m->cmd[(m->cmd_head + m->cmd_len) % SMS_CMDS_MAX] = *c;
    m->cmd_len++;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    return 0;
}

int sms_modem_pending(sms_modem *m)
{
    /* The pipe first, then the queue: an event queued after the check wakes
     * the core again with its own byte. */
    char buf[64];
    while (read(m->pipe_rd, buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&m->mu);
    int n = m->ev_len > 0;
    pthread_mutex_unlock(&m->mu);
    return n;
}

int sms_modem_room(sms_modem *m)
{
    pthread_mutex_lock(&m->mu);
    int room = SMS_CMDS_MAX - m->cmd_len;
    pthread_mutex_unlock(&m->mu);
    return room;
}

int sms_modem_fd(const sms_modem *m)
{
    return m->pipe_rd;
}

/* Thread side: takes one command, or waits up to wait_ms for one. 1, 0 (none), -1 stopping. */
static int next_cmd(sms_modem *m, sms_cmd *out, int64_t wait_ms)
{
    pthread_mutex_lock(&m->mu);
    if (m->cmd_len == 0 && !m->stop && wait_ms > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(wait_ms / 1000);
        ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        (void)pthread_cond_timedwait(&m->cv, &m->mu, &ts);
    }
    int rc = 0;
    if (m->stop) {
        rc = -1;
    } else if (m->cmd_len > 0) {
        *out = m->cmd[m->cmd_head];
        m->cmd_head = (m->cmd_head + 1) % SMS_CMDS_MAX;
        m->cmd_len--;
        rc = 1;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int stopping(sms_modem *m)
{
    pthread_mutex_lock(&m->mu);
    int s = m->stop;
    pthread_mutex_unlock(&m->mu);
    return s;
}

/* ------------------------------------------------------------------ libgammu */

static void on_send_status(GSM_StateMachine *s, int status, int ref, void *user)
{
    (void)s;
    sms_modem *m = user;
    m->send_status = status;
    m->send_ref = ref;
}

static void disconnect(sms_modem *m)
{
    if (!m->gsm)
        return;
    if (GSM_IsConnected(m->gsm))
        (void)GSM_TerminateConnection(m->gsm);
    GSM_FreeStateMachine(m->gsm);
    m->gsm = NULL;
}

/* 1 if the device is a path that is not there (an unplugged USB modem, the
 * dummy driver's folder removed). libgammu does not always notice. */
static int device_gone(const sms_modem *m)
{
    struct stat sb;
    return m->cfg.gammurc[0] == '\0' && m->cfg.device[0] == '/' && stat(m->cfg.device, &sb) != 0;
}

static int connect_modem(sms_modem *m, char *err, size_t errsz)
{
    GSM_Error e;
    INI_Section *ini = NULL;

    if (device_gone(m)) {
        snprintf(err, errsz, "device not present");
        return -1;
    }
    m->gsm = GSM_AllocStateMachine();
    if (!m->gsm) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    GSM_Config *c = GSM_GetConfig(m->gsm, 0);
    if (m->cfg.gammurc[0]) {
        e = GSM_FindGammuRC(&ini, m->cfg.gammurc);
        if (e == ERR_NONE)
            e = GSM_ReadConfig(ini, c, m->cfg.gammurc_section);
        INI_Free(ini);
        if (e != ERR_NONE) {
            snprintf(err, errsz, "gammurc: %s", GSM_ErrorString(e));
            goto fail;
        }
    } else {
        /* GSM_ReadConfig with no file fills the defaults; then ours. */
        e = GSM_ReadConfig(NULL, c, 0);
        if (e != ERR_NONE && e != ERR_USING_DEFAULTS) {
            snprintf(err, errsz, "config: %s", GSM_ErrorString(e));
            goto fail;
        }
        free(c->Device);
        free(c->Connection);
        c->Device = strdup(m->cfg.device);
        c->Connection = strdup(m->cfg.connection);
        if (!c->Device || !c->Connection) {
            snprintf(err, errsz, "out of memory");
            goto fail;
        }
        snprintf(c->Model, sizeof c->Model, "%s", m->cfg.model);
    }
    /* No libgammu debug output: it would carry numbers and texts. */
    c->DebugLevel[0] = '\0';
    c->UseGlobalDebugFile = FALSE;
    c->LockDevice = FALSE;
    c->SyncTime = FALSE;
    c->StartInfo = FALSE;
    GSM_SetConfigNum(m->gsm, 1);
    e = GSM_InitConnection(m->gsm, 1);
    if (e != ERR_NONE) {
        snprintf(err, errsz, "%s", GSM_ErrorString(e));
        goto fail;
    }
    GSM_SetSendSMSStatusCallback(m->gsm, on_send_status, m);
    if (m->pin[0]) {
        GSM_SecurityCodeType st;
        if (GSM_GetSecurityStatus(m->gsm, &st) == ERR_NONE && st == SEC_Pin) {
            GSM_SecurityCode code;
            memset(&code, 0, sizeof code);
            code.Type = SEC_Pin;
            snprintf(code.Code, sizeof code.Code, "%.*s", (int)sizeof code.Code - 1, m->pin);
            e = GSM_EnterSecurityCode(m->gsm, &code);
            if (e != ERR_NONE) {
                /* Never retried blindly: three wrong PINs lock the SIM. */
                snprintf(err, errsz, "SIM PIN refused: %s", GSM_ErrorString(e));
                goto fail;
            }
        }
    }
    return 0;
fail:
    disconnect(m);
    return -1;
}

/* Errors that mean the link is gone: reconnect. */
static int link_error(GSM_Error e)
{
    return e != ERR_NONE && e != ERR_EMPTY && e != ERR_NOTSUPPORTED && e != ERR_NOTIMPLEMENTED &&
           e != ERR_INVALIDLOCATION && e != ERR_UNKNOWN;
}

static void report_health(sms_modem *m, int force)
{
    sms_event h;
    memset(&h, 0, sizeof h);
    h.kind = SMS_EV_HEALTH;
    h.connected = m->gsm != NULL;
    h.signal_percent = -1;
    snprintf(h.network, sizeof h.network, "unknown");
    if (m->gsm) {
        GSM_SignalQuality q;
        memset(&q, 0, sizeof q);
        if (GSM_GetSignalQuality(m->gsm, &q) == ERR_NONE)
            h.signal_percent = q.SignalPercent;
        GSM_NetworkInfo ni;
        memset(&ni, 0, sizeof ni);
        if (GSM_GetNetworkInfo(m->gsm, &ni) == ERR_NONE) {
            const char *n = "unknown";
            switch (ni.State) {
            case GSM_HomeNetwork: n = "home"; break;
            case GSM_RoamingNetwork: n = "roaming"; break;
            case GSM_RequestingNetwork: n = "searching"; break;
            case GSM_RegistrationDenied: n = "denied"; break;
            case GSM_NoNetwork: n = "none"; break;
            default: break;
            }
            snprintf(h.network, sizeof h.network, "%s", n);
        }
        GSM_SecurityCodeType st;
        GSM_Error e = GSM_GetSecurityStatus(m->gsm, &st);
        /* A modem that does not say is taken to have its SIM (it registered). */
        h.sim_ok = e == ERR_NONE ? st == SEC_None : (e != ERR_SECURITYERROR);
    }
    h.last_poll_ok = m->last_poll_ok;
    if (!force && h.connected == m->health.connected && h.sim_ok == m->health.sim_ok &&
        h.signal_percent == m->health.signal_percent &&
        strcmp(h.network, m->health.network) == 0 && h.last_poll_ok == m->health.last_poll_ok)
        return;
    m->health = h;
    (void)emit(m, &h);
}

static handed *find_handed(sms_modem *m, int folder, int location)
{
    for (int i = 0; i < m->nhanded; i++)
        if (m->handed[i].folder == folder && m->handed[i].location == location)
            return &m->handed[i];
    return NULL;
}

static void drop_handed(sms_modem *m, int folder, int location)
{
    handed *h = find_handed(m, folder, location);
    if (h)
        *h = m->handed[--m->nhanded];
}

static int64_t smsc_ms(const GSM_DateTime *d)
{
    if (d->Year < 1970 || d->Month < 1 || d->Month > 12 || d->Day < 1 || d->Day > 31)
        return 0;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = d->Year - 1900;
    tm.tm_mon = d->Month - 1;
    tm.tm_mday = d->Day;
    tm.tm_hour = d->Hour;
    tm.tm_min = d->Minute;
    tm.tm_sec = d->Second;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return 0;
    return ((int64_t)t - d->Timezone) * 1000;
}

/* Hands one SMS read to the core (once per modem location). */
static int hand_over(sms_modem *m, GSM_SMSMessage *p)
{
    handed *h = find_handed(m, p->Folder, p->Location);
    if (h) {
        h->seen = 1;
        return 0;
    }
    if (m->nhanded == SMS_HANDED_MAX)
        return 0; /* read again once the core has caught up */
    sms_event ev;
    memset(&ev, 0, sizeof ev);
    char num[(GSM_MAX_NUMBER_LENGTH + 1) * 4];
    (void)EncodeUTF8(num, p->Number);
    snprintf(ev.sender, sizeof ev.sender, "%.*s", SMS_SENDER_MAX, num);
    ev.folder = p->Folder;
    ev.location = p->Location;
    ev.smsc_time = smsc_ms(&p->DateTime);
    if (p->PDU == SMS_Status_Report) {
        ev.kind = SMS_EV_REPORT;
        ev.msg_ref = p->MessageReference;
        /* GSM 03.40 TP-Status: 0x00-0x1F done (0x00 delivered), 0x20-0x3F
         * still trying, above: failed. */
        ev.delivery = p->DeliveryStatus < 0x20 ? (p->DeliveryStatus <= 0x02 ? 1 : 0)
                      : p->DeliveryStatus < 0x40 ? 2 : 0;
    } else {
        ev.kind = SMS_EV_PART;
        ev.part = ev.total = 1;
        int ref, part, total;
        if (p->UDH.Type != UDH_NoUDH && p->UDH.Length > 0 &&
            sms_join_udh(p->UDH.Text, (size_t)p->UDH.Length, &ref, &part, &total) == 1) {
            ev.ref = ref;
            ev.part = part;
            ev.total = total;
        }
        if (p->Coding == SMS_Coding_8bit) {
            snprintf(ev.coding, sizeof ev.coding, "8bit");
        } else {
            snprintf(ev.coding, sizeof ev.coding, "%s",
                     p->Coding == SMS_Coding_Unicode_No_Compression ||
                     p->Coding == SMS_Coding_Unicode_Compression ? "ucs2" : "gsm7");
            size_t units = p->Length > 0 ? (size_t)p->Length : 0;
            if (units > GSM_MAX_SMS_LENGTH)
                units = GSM_MAX_SMS_LENGTH;
            ev.text_len = sms_text_from_ucs2(p->Text, units, ev.text, sizeof ev.text);
        }
    }
    log_debug("sms", "read an SMS from the modem: folder %d location %d", p->Folder, p->Location);
    if (emit(m, &ev))
        return -1;
    handed *n = &m->handed[m->nhanded++];
    n->folder = p->Folder;
    n->location = p->Location;
    n->seen = 1;
    return 0;
}

/* Reads every SMS in every inbox folder. 0, or the libgammu error. */
static GSM_Error poll_inbox(sms_modem *m)
{
    for (int i = 0; i < m->nhanded; i++)
        m->handed[i].seen = 0;
    GSM_Error e = ERR_NONE;
    int start = 1, count = 0;
    while (count++ < POLL_MAX_SMS) {
        /* GetNext continues from the folder and location it returned last. */
        int folder = m->multi->SMS[0].Folder, location = m->multi->SMS[0].Location;
        memset(m->multi, 0, sizeof *m->multi);
        if (!start) {
            m->multi->SMS[0].Folder = folder;
            m->multi->SMS[0].Location = location;
        }
        e = GSM_GetNextSMS(m->gsm, m->multi, start);
        if (e != ERR_NONE)
            break;
        for (int i = 0; i < m->multi->Number && i < GSM_MAX_MULTI_SMS; i++) {
            GSM_SMSMessage *p = &m->multi->SMS[i];
            if (!p->InboxFolder)
                continue;
            if (hand_over(m, p))
                return ERR_NONE;
        }
        start = 0;
    }
    if (e == ERR_EMPTY) {
        /* A full walk: forget locations that are no longer there. */
        for (int i = 0; i < m->nhanded;)
            if (!m->handed[i].seen)
                m->handed[i] = m->handed[--m->nhanded];
            else
                i++;
        return ERR_NONE;
    }
    return e;
}

static void send_result(sms_modem *m, int64_t id, int ok, int ref, const char *error)
{
    sms_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SMS_EV_RESULT;
    ev.id = id;
    ev.ok = ok;
    ev.msg_ref = ref;
    snprintf(ev.error, sizeof ev.error, "%s", error ? error : "");
    (void)emit(m, &ev);
}

/* Sends one SMS. 0 (result reported), or -1 when the link is gone (the
 * result is reported as a failed attempt too: the core retries). */
static int do_send(sms_modem *m, const sms_cmd *c)
{
    GSM_SMSMessage sms;
    char err[96];
    GSM_SetDefaultSMSData(&sms);
    sms.PDU = m->cfg.delivery_reports ? SMS_Status_Report : SMS_Submit;
    sms.UDH.Type = UDH_NoUDH;
    sms.SMSC.Location = 1;
    sms.Coding = c->coding == SMS_UCS2 ? SMS_Coding_Unicode_No_Compression
                                       : SMS_Coding_Default_No_Compression;
    /* libgammu keeps texts as UCS-2 and converts to GSM-7 itself when the
     * coding says so; we chose the coding (GSM_EncodeMultiPartSMS would not). */
    long units = sms_text_to_ucs2(c->text, strlen(c->text), sms.Text,
                                  c->coding == SMS_UCS2 ? SMS_UCS2_MAX : SMS_GSM7_MAX);
    if (units < 0) {
        send_result(m, c->id, 0, 0, "text does not fit one SMS");
        return 0;
    }
    sms.Length = (int)units;
    if (sms_text_to_ucs2(c->to, strlen(c->to), sms.Number, GSM_MAX_NUMBER_LENGTH) < 0) {
        send_result(m, c->id, 0, 0, "bad number");
        return 0;
    }
    m->send_status = -1;
    m->send_ref = 0;
    GSM_Error e = GSM_SendSMS(m->gsm, &sms);
    if (e != ERR_NONE) {
        snprintf(err, sizeof err, "send: %s", GSM_ErrorString(e));
        send_result(m, c->id, 0, 0, err);
        return link_error(e) ? -1 : 0;
    }
    /* The modem confirms later (the dummy driver: inside the call). */
    int64_t until = clock_mono_ms() + SEND_CONFIRM_MS;
    while (m->send_status == -1 && clock_mono_ms() < until && !stopping(m) &&
           GSM_IsConnected(m->gsm))
        (void)GSM_ReadDevice(m->gsm, TRUE);
    if (m->send_status == 0) {
        log_debug("sms", "sent sms %lld to %s (ref %d)", (long long)c->id, c->to, m->send_ref);
        send_result(m, c->id, 1, m->send_ref, NULL);
        return 0;
    }
    snprintf(err, sizeof err, m->send_status == -1 ? "no confirmation from the modem"
                                                   : "network refused (status %d)", m->send_status);
    send_result(m, c->id, 0, 0, err);
    return m->send_status == -1 ? -1 : 0;
}

static int do_delete(sms_modem *m, const sms_cmd *c)
{
    /* Only what this thread handed over and is still there: a location that
     * was freed may hold a new SMS nobody has journaled yet. */
    if (!find_handed(m, c->folder, c->location))
        return 0;
    GSM_SMSMessage sms;
    memset(&sms, 0, sizeof sms);
    sms.Folder = c->folder;
    sms.Location = c->location;
    GSM_Error e = GSM_DeleteSMS(m->gsm, &sms);
    if (e == ERR_NONE || e == ERR_EMPTY || e == ERR_INVALIDLOCATION) {
        drop_handed(m, c->folder, c->location);
        return 0;
    }
    log_warn("sms", "cannot delete SMS %d/%d from the modem: %s", c->folder, c->location,
             GSM_ErrorString(e));
    return link_error(e) ? -1 : 0;
}

/* A command while the modem is not connected: sends fail (the core retries
 * with backoff); deletions wait (the part is read again and found committed). */
static void cmd_offline(sms_modem *m, const sms_cmd *c)
{
    if (c->kind == SMS_CMD_SEND) {
        send_result(m, c->id, 0, 0, "modem not connected");
    } else if (c->kind == SMS_CMD_FORGET) {
        drop_handed(m, c->folder, c->location);
    } else {
        handed *h = find_handed(m, c->folder, c->location);
        if (h)
            h->del = 1;
    }
}

/* After a reconnect: the deletions asked for while the modem was away. */
static int deletes_owed(sms_modem *m)
{
    for (int i = 0; i < m->nhanded;) {
        if (!m->handed[i].del) {
            i++;
            continue;
        }
        sms_cmd c;
        memset(&c, 0, sizeof c);
        c.kind = SMS_CMD_DELETE;
        c.folder = m->handed[i].folder;
        c.location = m->handed[i].location;
        int before = m->nhanded;
        if (do_delete(m, &c))
            return -1;
        if (m->nhanded == before)
            m->handed[i].del = 0; /* not deleted, not fatal: read again, found committed */
    }
    return 0;
}

static void *run(void *arg)
{
    sms_modem *m = arg;
    int64_t backoff = RECONNECT_FIRST_MS, next_connect = 0, next_poll = 0, next_health = 0;
    char err[160], last_err[160] = "";

    report_health(m, 1);
    while (!stopping(m)) {
        int64_t now = clock_mono_ms();
        sms_cmd c;
        if (!m->gsm) {
            if (now < next_connect) {
                int r = next_cmd(m, &c, next_connect - now);
                if (r > 0)
                    cmd_offline(m, &c);
                continue;
            }
            if (connect_modem(m, err, sizeof err)) {
                if (strcmp(err, last_err) != 0)
                    log_warn("sms", "modem not connected: %s; retrying", err);
                snprintf(last_err, sizeof last_err, "%s", err);
                next_connect = clock_mono_ms() + backoff;
                backoff = backoff * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : backoff * 2;
                report_health(m, 0);
                continue;
            }
            log_info("sms", "modem connected");
            last_err[0] = '\0';
            backoff = RECONNECT_FIRST_MS;
            next_poll = next_health = 0;
            if (deletes_owed(m)) {
                disconnect(m);
                continue;
            }
            report_health(m, 1);
            continue;
        }
        int lost = device_gone(m);
        if (!lost && now >= next_poll) {
            GSM_Error e = poll_inbox(m);
            if (e == ERR_NONE) {
                m->last_poll_ok = clock_now_ms();
            } else if (link_error(e)) {
                log_warn("sms", "reading the modem failed: %s", GSM_ErrorString(e));
                lost = 1;
            }
            next_poll = clock_mono_ms() + m->cfg.poll_ms;
        }
        if (!lost && now >= next_health) {
            report_health(m, 0);
            next_health = clock_mono_ms() + HEALTH_EVERY_MS;
        }
        /* Commands until the next poll. */
        while (!lost) {
            int64_t wait = next_poll - clock_mono_ms();
            int r = next_cmd(m, &c, wait > 0 ? wait : 0);
            if (r <= 0)
                break;
            if (device_gone(m)) {
                cmd_offline(m, &c);
                lost = 1;
                break;
            }
            if (c.kind == SMS_CMD_SEND)
                lost = do_send(m, &c) != 0;
            else if (c.kind == SMS_CMD_DELETE)
                lost = do_delete(m, &c) != 0;
            else
                drop_handed(m, c.folder, c.location);
        }
        if (lost) {
            log_warn("sms", "modem lost; reconnecting");
            disconnect(m);
            next_connect = clock_mono_ms() + backoff;
            report_health(m, 1);
        }
    }
    disconnect(m);
    return NULL;
}

sms_modem *sms_modem_start(const cfg_sms *cfg, char *err, size_t errsz)
{
    sms_modem *m = calloc(1, sizeof *m);
    int fds[2] = { -1, -1 };
    char eb[LOG_STRERROR_MAX];
    if (!m) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    m->pipe_rd = m->pipe_wr = -1;
    m->ev = calloc(SMS_EVENTS_MAX, sizeof *m->ev);
    m->cmd = calloc(SMS_CMDS_MAX, sizeof *m->cmd);
    m->multi = calloc(1, sizeof *m->multi);
    if (!m->ev || !m->cmd || !m->multi) {
        snprintf(err, errsz, "out of memory");
        goto fail;
    }
    /* A PIN file or gammurc that cannot be read is a mistake in the config,
     * not a modem that comes and goes: refused at start, not retried. */
    if (cfg->pin_file[0] &&
        (config_read_secret(cfg->pin_file, m->pin, sizeof m->pin) || m->pin[0] == '\0')) {
        snprintf(err, errsz, "[sms] pin_file: cannot read a PIN from %s", cfg->pin_file);
        goto fail;
    }
    if (cfg->gammurc[0] && access(cfg->gammurc, R_OK) != 0) {
        snprintf(err, errsz, "[sms] gammurc: cannot read %s: %s", cfg->gammurc,
                 log_strerror(errno, eb, sizeof eb));
        goto fail;
    }
    if (pipe(fds) != 0) {
        snprintf(err, errsz, "pipe: %s", log_strerror(errno, eb, sizeof eb));
        goto fail;
    }
    m->pipe_rd = fds[0];
    m->pipe_wr = fds[1];
    for (int i = 0; i < 2; i++)
        if (fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
            snprintf(err, errsz, "pipe: %s", log_strerror(errno, eb, sizeof eb));
            goto fail;
        }
    if (pthread_mutex_init(&m->mu, NULL) != 0 || pthread_cond_init(&m->cv, NULL) != 0) {
        snprintf(err, errsz, "cannot create a lock");
        goto fail;
    }
    m->health.signal_percent = -2; /* the first report always goes out */
    if (threads_start(&m->thread, run, m) != 0) {
        snprintf(err, errsz, "cannot start the modem thread");
        pthread_cond_destroy(&m->cv);
        pthread_mutex_destroy(&m->mu);
        goto fail;
    }
    m->started = 1;
    return m;
fail:
    if (m->pipe_rd >= 0)
        close(m->pipe_rd);
    if (m->pipe_wr >= 0)
        close(m->pipe_wr);
    free(m->ev);
    free(m->cmd);
    free(m->multi);
    memset(m->pin, 0, sizeof m->pin);
    free(m);
    return NULL;
}

void sms_modem_stop(sms_modem *m)
{
    if (!m)
        return;
    if (m->started) {
        pthread_mutex_lock(&m->mu);
        m->stop = 1;
        pthread_cond_broadcast(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
        pthread_cond_destroy(&m->cv);
        pthread_mutex_destroy(&m->mu);
    }
    close(m->pipe_rd);
    close(m->pipe_wr);
    free(m->ev);
    free(m->cmd);
    free(m->multi);
    memset(m->pin, 0, sizeof m->pin);
    free(m);
}

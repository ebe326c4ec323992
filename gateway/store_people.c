/* store_people.c: operatives, partner contacts and their radio units (SQLite backend). */
#include "store_people.h"
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_PERSON_UNIT] = (
        "SELECT p.id, callsign, name, role, ifnull(partner,''), ifnull(phone,''), active"
        " FROM radio_units u JOIN people p ON p.id = u.person_id WHERE u.network = ? AND u.unit = ?"),
    [ST_PERSON_PHONE] = (
        "SELECT id, callsign, name, role, ifnull(partner,''), ifnull(phone,''), active"
        " FROM people WHERE phone = ?"),
    [ST_PERSON_CALLSIGN] = (
        "SELECT id, callsign, name, role, ifnull(partner,''), ifnull(phone,''), active"
        " FROM people WHERE callsign = ?"),
    [ST_PERSON_ADD] = (
        "INSERT INTO people (callsign, name, role, partner, phone, active, created_at)"
        " VALUES (?,?,?,?,?,?,?)"),
    [ST_UNIT_ADD] = "INSERT INTO radio_units (network, unit, person_id) VALUES (?,?,?)",
    [ST_PERSON_ACTIVE] = "UPDATE people SET active = ? WHERE callsign = ?",
    [ST_PEOPLE] = (
        "SELECT p.id, callsign, name, role, ifnull(partner,''), ifnull(phone,''), active,"
        " ifnull((SELECT group_concat(network || '/' || unit, ' ') FROM radio_units u"
        "  WHERE u.person_id = p.id), '') FROM people p ORDER BY callsign"),
};

static void read_person(sqlite3_stmt *st, store_person *p)
{
    p->id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, p->callsign, sizeof p->callsign);
    col_copy(st, 2, p->name, sizeof p->name);
    col_copy(st, 3, p->role, sizeof p->role);
    col_copy(st, 4, p->partner, sizeof p->partner);
    col_copy(st, 5, p->phone, sizeof p->phone);
    p->active = sqlite3_column_int(st, 6);
}

static int person_query(store *s, sqlite3_stmt *st, store_person *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_person(st, out);
    finish(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "person lookup");
        return -1;
    }
    return rc == SQLITE_ROW;
}

/* A person looked up by a cached statement with one or two text keys. */
static int person_by(store *s, enum stmt_id id, const char *k1, const char *k2,
                     store_person *out)
{
    sqlite3_stmt *st = stmt(s, id);
    if (!st)
        return -1;
    bind_text(st, 1, k1);
    if (sqlite3_bind_parameter_count(st) >= 2)
        bind_text(st, 2, k2);
    return person_query(s, st, out);
}

int store_person_by_unit(store *s, const char *network, const char *unit, store_person *out)
{
    return person_by(s, ST_PERSON_UNIT, network, unit, out);
}

int store_person_by_phone(store *s, const char *phone, store_person *out)
{
    return person_by(s, ST_PERSON_PHONE, phone, NULL, out);
}

int store_person_by_callsign(store *s, const char *callsign, store_person *out)
{
    return person_by(s, ST_PERSON_CALLSIGN, callsign, NULL, out);
}

/* Adds radio units ("network/unit") to person id; -1 with err. */
static int add_units(store *s, int64_t id, const char *const *units, int nunits, char *err,
                     size_t errsz)
{
    for (int i = 0; i < nunits; i++) {
        char net[GW_NETWORK_MAX + 1];
        const char *slash = strchr(units[i], '/');
        size_t nl = slash ? (size_t)(slash - units[i]) : 0;
        if (!slash || nl == 0 || nl > GW_NETWORK_MAX || slash[1] == '\0' ||
            strlen(slash + 1) > GW_UNIT_MAX || strchr(slash + 1, '/')) {
            snprintf(err, errsz, "bad radio unit %s: use network/unit", units[i]);
            return -1;
        }
        memcpy(net, units[i], nl);
        net[nl] = '\0';
        sqlite3_stmt *st = stmt(s, ST_UNIT_ADD);
        if (!st)
            return -1;
        bind_text(st, 1, net);
        bind_text(st, 2, slash + 1);
        sqlite3_bind_int64(st, 3, id);
        if (sqlite3_step(st) != SQLITE_DONE) {
            snprintf(err, errsz, "cannot add unit %s: %s", units[i], sqlite3_errmsg(s->db));
            finish(st);
            return -1;
        }
        finish(st);
    }
    return 0;
}

int64_t store_person_add(store *s, const store_person *p, const char *const *units, int nunits,
                         char *err, size_t errsz)
{
    sqlite3_stmt *st;
    int64_t id = -1;

    /* A savepoint: all or nothing, inside the caller's transaction (the
     * audit row goes in the same one) or on its own. */
    if (exec(s, "SAVEPOINT person_add")) {
        snprintf(err, errsz, "store busy: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    st = stmt(s, ST_PERSON_ADD);
    if (!st)
        goto fail;
    bind_text(st, 1, p->callsign);
    bind_text(st, 2, p->name);
    bind_text(st, 3, p->role);
    bind_text(st, 4, p->partner[0] ? p->partner : NULL);
    bind_text(st, 5, p->phone[0] ? p->phone : NULL);
    sqlite3_bind_int(st, 6, p->active);
    sqlite3_bind_int64(st, 7, clock_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(err, errsz, "cannot add %s: %s", p->callsign, sqlite3_errmsg(s->db));
        finish(st);
        goto fail;
    }
    finish(st);
    id = sqlite3_last_insert_rowid(s->db);
    if (add_units(s, id, units, nunits, err, errsz))
        goto fail;
    if (exec(s, "RELEASE person_add")) {
        snprintf(err, errsz, "commit failed: %s", sqlite3_errmsg(s->db));
        goto fail;
    }
    return id;
fail:
    (void)sqlite3_exec(s->db, "ROLLBACK TO person_add; RELEASE person_add", NULL, NULL, NULL);
    return -1;
}

int store_person_set_active(store *s, const char *callsign, int active)
{
    sqlite3_stmt *st = stmt(s, ST_PERSON_ACTIVE);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, active);
    bind_text(st, 2, callsign);
    if (step_done(s, st, "set active"))
        return -1;
    return sqlite3_changes(s->db) > 0;
}

int store_people_each(store *s, void (*fn)(void *arg, const store_person *p, const char *units),
                      void *arg)
{
    sqlite3_stmt *st = stmt(s, ST_PEOPLE);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_person p;
        read_person(st, &p);
        const unsigned char *units = sqlite3_column_text(st, 7);
        fn(arg, &p, units ? (const char *)units : "");
    }
    finish(st);
    if (rc != SQLITE_DONE) {
        db_error(s, "list people");
        return -1;
    }
    return 0;
}

/* ---- Administration (patrolctl). Rare calls: statements are prepared per
 * call (once_prep), not kept in the shared cache. */

/* Runs sql with up to three parameters: text ?1, text ?2, int64 ?3. */
static int adm_exec2(store *s, const char *sql, const char *t1, const char *t2, int64_t i3,
                     const char *what)
{
    sqlite3_stmt *st = once_prep(s, sql);
    if (!st)
        return -1;
    int n = sqlite3_bind_parameter_count(st);
    if (n >= 1)
        bind_text(st, 1, t1);
    if (n >= 2)
        bind_text(st, 2, t2);
    if (n >= 3)
        sqlite3_bind_int64(st, 3, i3);
    return once_run(s, st, what);
}

/* The id of the unremoved person with callsign: > 0, 0 none, -1. */
static int64_t person_id_of(store *s, const char *callsign)
{
    sqlite3_stmt *st = once_prep(s, "SELECT id FROM people WHERE callsign = ? AND removed_at IS NULL");
    if (!st)
        return -1;
    bind_text(st, 1, callsign);
    int64_t id = 0;
    return once_int64(s, st, &id, "find person") < 0 ? -1 : id;
}

int store_person_update(store *s, const char *callsign, const store_person *p,
                        const char *const *units, int nunits, char *err, size_t errsz)
{
    int64_t id = person_id_of(s, callsign);
    if (id <= 0) {
        snprintf(err, errsz, id == 0 ? "no person %s" : "store error", callsign);
        return id == 0 ? 0 : -1;
    }
    sqlite3_stmt *st = once_prep(s, "UPDATE people SET name = ?, role = ?, partner = ?, phone = ?"
                                   " WHERE id = ?");
    if (!st)
        return -1;
    bind_text(st, 1, p->name);
    bind_text(st, 2, p->role);
    bind_text(st, 3, p->partner[0] ? p->partner : NULL);
    bind_text(st, 4, p->phone[0] ? p->phone : NULL);
    sqlite3_bind_int64(st, 5, id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(err, errsz, "cannot change %s: %s", callsign, sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    if (nunits >= 0) {
        st = once_prep(s, "DELETE FROM radio_units WHERE person_id = ?");
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        if (once_run(s, st, "drop units") < 0 || add_units(s, id, units, nunits, err, errsz))
            return -1;
    }
    return 1;
}

int store_person_remove(store *s, const char *callsign, int64_t at, char *pseudonym,
                        size_t pseudonymsz)
{
    int64_t id = person_id_of(s, callsign);
    if (id <= 0)
        return id == 0 ? 0 : -1;
    char ps[40];
    snprintf(ps, sizeof ps, "removed-%lld", (long long)id);
    /* Everything that names the person by callsign or number names the
     * pseudonym instead; ?1 pseudonym, ?2 callsign, ?3 id. */
    static const char *const sql[] = {
        "UPDATE reports SET reporter = ?1 WHERE person_id = ?3 OR reporter = ?2",
        "UPDATE shifts SET reporter = ?1 WHERE person_id = ?3 OR reporter = ?2",
        "UPDATE report_events SET by = ?1 WHERE by = ?2",
        "UPDATE alerts SET acked_by = ?1 WHERE acked_by = ?2",
        "UPDATE messages SET sender = ?1 WHERE person_id = ?3 AND channel <> 'radio'",
        "DELETE FROM radio_units WHERE person_id = ?3",
        "UPDATE people SET callsign = ?1, name = ?1, phone = NULL, active = 0 WHERE id = ?3",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++)
        if (adm_exec2(s, sql[i], ps, callsign, id, "remove person") < 0)
            return -1;
    sqlite3_stmt *st = once_prep(s, "UPDATE people SET removed_at = ? WHERE id = ?");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_int64(st, 2, id);
    if (once_run(s, st, "remove person") < 0)
        return -1;
    snprintf(pseudonym, pseudonymsz, "%s", ps);
    return 1;
}

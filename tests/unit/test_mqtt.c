/* test_mqtt.c: what gateway/mqtt.c does around libmosquitto without a broker:
 * the handle is made without libmosquitto's wake-up socket pair (no file
 * descriptor opened, and so no system call per queued packet), and the
 * open-file limit it lowers for that is put back. The traffic itself is the
 * integration tests' (tests/integration/test_radio.py and others). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <dirent.h>
#include <sys/resource.h>

#include <cmocka.h>
#include <mosquitto.h>

#include "config.h"
#include "mqtt.h"

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    assert_non_null(d);
    for (struct dirent *e = readdir(d); e; e = readdir(d))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static void on_message(void *arg, const char *topic, const void *payload, int len)
{
    (void)arg;
    (void)topic;
    (void)payload;
    (void)len;
}

static void no_wakeup_pair(void **state)
{
    (void)state;
    gw_config *cfg = calloc(1, sizeof *cfg);
    assert_non_null(cfg);
    config_defaults(cfg);
    const char *subs[1] = { "patrol/in/+/+" };
    mqtt_handlers h = { on_message, NULL, NULL, NULL, NULL };
    char err[256];
    struct rlimit before, after;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &before), 0);

    int fds = open_fds();
    mqtt_conn *c = mqtt_new(cfg, subs, 1, &h, err, sizeof err);
    assert_non_null(c);
    /* A plain mosquitto_new() opens two (its socket pair). */
    assert_int_equal(open_fds(), fds);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &after), 0);
    assert_int_equal(after.rlim_cur, before.rlim_cur);
    assert_int_equal(after.rlim_max, before.rlim_max);
    mqtt_free(c);
    assert_int_equal(open_fds(), fds);

    /* The check above can fail: the library's own handle opens the pair. */
    struct mosquitto *m = mosquitto_new(NULL, true, NULL);
    assert_non_null(m);
    assert_int_equal(open_fds(), fds + 2);
    mosquitto_destroy(m);
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_wakeup_pair),
    };
    if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS)
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    mosquitto_lib_cleanup();
    return rc;
}

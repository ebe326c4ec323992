/* query.c: the read side's arithmetic (query.h): local weeks, months and days,
 * command-line times, medians, masked numbers. The questions themselves are
 * the store's (store_query.c, store_stats.c). */
#include "query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ time */

int query_period_key(int64_t ms, enum query_period p, char *out, size_t outsz)
{
    /* Floor division, so that times before 1970 land in the right second. */
    int64_t sec = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
    time_t t = (time_t)sec;
    struct tm tm;

    if (outsz == 0)
        return -1;
    out[0] = '\0';
    if ((int)p < 0 || (int)p > QUERY_DAY || !localtime_r(&t, &tm))
        return -1;
    size_t n = p == QUERY_WEEK    ? strftime(out, outsz, "%G-W%V", &tm)
               : p == QUERY_MONTH ? strftime(out, outsz, "%Y-%m", &tm)
                                  : strftime(out, outsz, "%Y-%m-%d", &tm);
    if (n == 0) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in_month(int y, int m)
{
    static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Local midnight of y-m-d plus add_days days, in ms. 0 or -1. */
static int local_midnight(int y, int m, int d, int add_days, int64_t *ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + add_days;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return -1;
    *ms = (int64_t)t * 1000;
    return 0;
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
    if (!all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) || s[7] != '-' ||
        !all_digits(s + 8, 2))
        return -1;
    *y = num(s, 4);
    *m = num(s + 5, 2);
    *d = num(s + 8, 2);
    if (*y < 1970 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

int query_parse_time(const char *s, int end_of_day, int64_t *ms)
{
    int y, mo, d;
    size_t n = strlen(s);

    if (n < 10 || parse_date(s, &y, &mo, &d))
        return -1;
    if (n == 10)
        return local_midnight(y, mo, d, end_of_day ? 1 : 0, ms);
    /* RFC 3339: date T hh:mm:ss [.frac] (Z | +hh:mm | -hh:mm) */
    const char *p = s + 10;
    if ((*p != 'T' && *p != 't' && *p != ' ') || strlen(p) < 10 || !all_digits(p + 1, 2) ||
        p[3] != ':' || !all_digits(p + 4, 2) || p[6] != ':' || !all_digits(p + 7, 2))
        return -1;
    int hh = num(p + 1, 2), mi = num(p + 4, 2), ss = num(p + 7, 2);
    if (hh > 23 || mi > 59 || ss > 60)
        return -1;
    p += 9;
    int frac_ms = 0;
    if (*p == '.') {
        size_t k = 1;
        while (p[k] >= '0' && p[k] <= '9') {
            if (k <= 3)
                frac_ms = frac_ms * 10 + (p[k] - '0');
            k++;
        }
        if (k == 1)
            return -1;
        for (size_t pad = k; pad <= 3; pad++)
            frac_ms *= 10;
        p += k;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        if (!all_digits(p + 1, 2) || p[3] != ':' || !all_digits(p + 4, 2))
            return -1;
        int oh = num(p + 1, 2), om = num(p + 4, 2);
        if (oh > 23 || om > 59)
            return -1;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    int64_t sec = days_from_civil(y, mo, d) * 86400 + (int64_t)hh * 3600 + (int64_t)mi * 60 +
                  ss - (int64_t)offset_min * 60;
    *ms = sec * 1000 + frac_ms;
    return 0;
}

int query_parse_month(const char *s, int64_t *start, int64_t *end)
{
    if (strlen(s) != 7 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2))
        return -1;
    int y = num(s, 4), m = num(s + 5, 2);
    if (y < 1970 || m < 1 || m > 12)
        return -1;
    if (local_midnight(y, m, 1, 0, start))
        return -1;
    return local_midnight(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1, 0, end);
}

double query_median(const double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double query_p90(const double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    size_t rank = (size_t)ceil(0.9 * (double)n); /* nearest rank, 1-based */
    if (rank < 1)
        rank = 1;
    return v[rank - 1];
}

void query_stats_free(query_stats *st)
{
    if (!st)
        return;
    free(st->incidents);
    free(st->channels);
    free(st->acks);
    free(st->hours);
    free(st->weeks);
    free(st->reasons);
    memset(st, 0, sizeof *st);
}

void query_mask_number(const char *number, char *out, size_t outsz)
{
    if (outsz == 0)
        return;
    size_t n = strlen(number);
    size_t keep_head = n > 8 ? 6 : 0;
    size_t keep_tail = n > 2 ? 2 : 0;
    size_t i = 0;
    for (; i < n && i + 1 < outsz; i++)
        out[i] = i < keep_head || i >= n - keep_tail ? number[i] : '*';
    out[i] = '\0';
}
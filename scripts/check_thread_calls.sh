#!/usr/bin/env bash
# The modules with code on threads other than the core's (the SMS modem
# thread, the curl worker, libmicrohttpd's threads and the dashboard) must not
# call the C library's functions that may share a buffer between threads
# (issue 16, defect 10): strerror (log_strerror instead), localtime, gmtime,
# ctime, asctime (the _r forms instead), setenv (the core sets TZ before the
# threads start). The whole file is checked, start-up code included, so that
# nothing moved onto a thread later slips through. Run by ctest
# (lint.thread_calls). Usage: scripts/check_thread_calls.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
FILES=(gateway/sms_modem.c gateway/curlw.c gateway/mail.c gateway/webhook.c gateway/http.c
       gateway/dash.c gateway/users.c gateway/threads.c gateway/store_dash.c)
# A call: the name not preceded by a letter, digit or _ (log_strerror,
# curl_easy_strerror and mosquitto_strerror are fine), then "(".
PATTERN='(^|[^A-Za-z0-9_])(strerror|localtime|gmtime|ctime|asctime|setenv)[[:space:]]*\('
if grep -nE "$PATTERN" "${FILES[@]}"; then
  echo "check_thread_calls: a call above is not safe on a worker thread (see the script)" >&2
  exit 1
fi
echo "check_thread_calls: clean (${#FILES[@]} files)"

/* gateway.h: the patrolgw core: one thread that owns the store and runs the loop. */
#ifndef GATEWAY_H
#define GATEWAY_H

/* Runs patrolgw with the config file at path until SIGTERM/SIGINT.
 * log_level >= 0 overrides the config's. Returns the process exit code. */
int gateway_run(const char *config_path, int log_level);

/* Loads and checks a config with its tables; prints the outcome. 0 if valid. */
int gateway_check_config(const char *config_path);

#endif

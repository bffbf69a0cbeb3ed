/*
 * log.h - one line per event on standard error, as logfmt
 * (key=value, values quoted when they need it), so a deployment's log
 * collector can parse it and a person can read it.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* An access log line: method, path, status, bytes, microseconds, user. */
void log_access(const char *method, const char *path, int status, size_t bytes, int64_t us,
		const char *user, const char *note);

/* A message from a component ("http", "store", "serve"). */
void log_message(const char *component, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmessage(const char *component, const char *fmt, va_list ap);

/* Turn the access log off (benchmarks) or on. */
void log_set_access(int on);

#endif

/*
 * log.c - lines are built in a local buffer and written with one write(2),
 * so lines from different threads never interleave.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/log.h"

static int access_on = 1;

void log_set_access(int on)
{
	access_on = on;
}

static size_t stamp(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	return strftime(out, len, "time=%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Append ` key="value"` with quotes and control characters escaped. */
static size_t add_quoted(char *out, size_t used, size_t len, const char *key, const char *v)
{
	int n = snprintf(out + used, len - used, " %s=\"", key);

	if (n < 0 || (size_t)n >= len - used)
		return len;
	used += (size_t)n;
	for (; *v && used + 4 < len; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			out[used++] = '\\';
		out[used++] = c < 0x20 ? '?' : (char)c;
	}
	out[used++] = '"';
	out[used] = '\0';
	return used;
}

static void emit(char *line, size_t used, size_t len)
{
	if (used >= len - 1)
		used = len - 2;
	line[used++] = '\n';
	if (write(STDERR_FILENO, line, used) < 0)
		return; /* nowhere left to report it */
}

void log_access(const char *method, const char *path, int status, size_t bytes, int64_t us,
		const char *user, const char *note)
{
	char line[1024];
	size_t used;
	int n;

	if (!access_on)
		return;
	used = stamp(line, sizeof(line));
	n = snprintf(line + used, sizeof(line) - used, " event=request method=%s", method);
	used += n > 0 ? (size_t)n : 0;
	used = add_quoted(line, used, sizeof(line), "path", path);
	if (used < sizeof(line)) {
		n = snprintf(line + used, sizeof(line) - used, " status=%d bytes=%zu us=%lld", status,
			     bytes, (long long)us);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used < sizeof(line))
		used = add_quoted(line, used, sizeof(line), "user", user);
	if (note && used < sizeof(line))
		used = add_quoted(line, used, sizeof(line), "note", note);
	emit(line, used, sizeof(line));
}

void log_vmessage(const char *component, const char *fmt, va_list ap)
{
	char line[1024], msg[768];
	size_t used = stamp(line, sizeof(line));
	int n = snprintf(line + used, sizeof(line) - used, " component=%s", component);

	used += n > 0 ? (size_t)n : 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	used = add_quoted(line, used, sizeof(line), "msg", msg);
	emit(line, used, sizeof(line));
}

void log_message(const char *component, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmessage(component, fmt, ap);
	va_end(ap);
}

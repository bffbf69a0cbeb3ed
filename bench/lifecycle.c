/*
 * lifecycle.c - load client for the referral lifecycle benchmark
 * (bench/referrals.sh runs it).
 *
 *   lifecycle run --port P --practitioner TOKEN --provider TOKEN
 *                 [--connections 64] [--seconds 10 | --count N]
 *                 [--service kss-crc/resolve] [--profile FILE] [--crn-prefix B]
 *                 [--override REASON] [--acked FILE] [--summary FILE] [--parse]
 *   lifecycle verify --port P --token TOKEN --acked FILE [--connections 64]
 *
 * `run` opens N keep-alive HTTP/1.1 connections to 127.0.0.1:P, one thread
 * each, and on each one walks referrals through their whole lifecycle: a
 * practitioner creates a draft (a new person, CRN PREFIX+thread+counter) and
 * sends it (draft -> referred), then the provider accepts, starts and
 * completes it, every move under the version the previous answer gave. It
 * stops after D seconds (the lifecycle in flight is left where it is) or
 * after N lifecycles in all. Every request's latency is kept; any answer
 * that is not 2xx is an error, counted and the first few printed, and that
 * referral is left there. Every acknowledged write is appended to the acked
 * file as "ID VERSION STATUS REFERENCE", after its 2xx answer was read whole,
 * so a kill -9 check can look for each one.
 *
 * `verify` reads an acked file and fetches every referral in it through the
 * API: each must exist at the last acknowledged version and status or later
 * (a write may have been saved whose answer never arrived). Exits 1 if any
 * acknowledged write is missing.
 *
 * Three decisions a reader must know: a connection the server closes or
 * resets is opened again (the lifecycle in flight is abandoned and counted
 * as an error), but a connection that cannot be opened ends that thread, so
 * a killed server ends the run; the client's own CPU time is printed, since
 * on a small machine it shares the cores with the server; and to keep that
 * small, `run` reads each answer's top-level id, status, reference and
 * version by scanning the text (parsing every 3 kB document with jansson was
 * half the client's time) unless --parse asks for jansson. The scan relies
 * on the API's shape: the document's own keys come first ("reference" and
 * "status" among the first three), then "id", then the "version" and
 * waiting time the answer adds. `verify` always parses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 1024
#define MAX_RESPONSE (4 << 20)
#define ERRORS_SHOWN 5

enum step { STEP_CREATE, STEP_SEND, STEP_ACCEPT, STEP_START, STEP_COMPLETE, STEP_COUNT };

/* the statuses in lifecycle order: a later one is further along */
static const char *const status_names[STEP_COUNT] = {
	"draft", "referred", "accepted", "in_progress", "completed"
};

struct options {
	const char *mode, *practitioner, *provider, *service, *profile_file, *crn_prefix;
	const char *override, *acked, *summary;
	int port, connections, parse;
	double seconds;
	long count;
};

/* A growable array of latencies in microseconds. */
struct lat {
	uint32_t *v;
	size_t n, cap;
};

/* One keep-alive connection and what its thread has seen. */
struct worker {
	int index, fd;
	char *buf;           /* response bytes */
	size_t len, cap;
	struct lat create, move;
	long lifecycles, creates, moves, gets, http_errors, conn_errors, reconnects;
	long verified, missing, behind;
	int stopped_by_connect;
};

/* What every thread shares. */
struct run {
	struct options o;
	char *profile_json;            /* the person's profile, compact JSON, or NULL */
	struct sockaddr_in addr;
	double deadline;               /* monotonic seconds; 0: by count */
	atomic_long started;           /* lifecycles begun, for --count */
	atomic_int errors_shown;
	pthread_mutex_t acked_lock;
	FILE *acked;
	/* verify: per id, the last acknowledged version and step */
	int *want_version;
	signed char *want_step;
	long max_id;
	atomic_long next_id;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void lat_add(struct lat *l, double secs)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		uint32_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return; /* a latency not kept is better than a failed run */
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (uint32_t)(secs * 1e6);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Sort l and give its p50 and p99 in milliseconds (0 when empty). */
static void lat_percentiles(struct lat *l, double *p50, double *p99)
{
	*p50 = *p99 = 0;
	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_u32);
	*p50 = l->v[l->n / 2] / 1000.0;
	*p99 = l->v[l->n * 99 / 100] / 1000.0;
}

static void lat_merge(struct lat *into, const struct lat *from)
{
	for (size_t i = 0; i < from->n; i++) {
		if (into->n == into->cap) {
			size_t cap = into->cap ? into->cap * 2 : 4096;
			uint32_t *v = realloc(into->v, cap * sizeof(*v));

			if (!v)
				return;
			into->v = v;
			into->cap = cap;
		}
		into->v[into->n++] = from->v[i];
	}
}

/* ---- HTTP/1.1 over one socket ---- */

static int conn_open(struct run *r, struct worker *w)
{
	int one = 1;
	struct timeval tv = { .tv_sec = 60 };

	w->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (w->fd < 0)
		return -1;
	setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(w->fd, (struct sockaddr *)&r->addr, sizeof(r->addr))) {
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	return 0;
}

static void conn_close(struct worker *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int buf_room(struct worker *w, size_t want)
{
	if (w->cap - w->len >= want)
		return 0;
	size_t cap = w->cap ? w->cap : 16384;

	while (cap - w->len < want)
		cap *= 2;
	if (cap > MAX_RESPONSE)
		return -1;
	char *b = realloc(w->buf, cap);

	if (!b)
		return -1;
	w->buf = b;
	w->cap = cap;
	return 0;
}

/* The value of header name in the header block [h, end), or NULL. */
static const char *header_value(const char *h, const char *end, const char *name, size_t *vlen)
{
	size_t n = strlen(name);

	for (const char *line = h; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));

		if (!eol)
			eol = end;
		if ((size_t)(eol - line) > n && line[n] == ':' && !strncasecmp(line, name, n)) {
			const char *v = line + n + 1;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(eol - v);
			while (*vlen && (v[*vlen - 1] == '\r' || v[*vlen - 1] == ' '))
				(*vlen)--;
			return v;
		}
		line = eol + 1;
	}
	return NULL;
}

/* Send one request and read its whole answer. Returns the HTTP status and
 * points *body at the body (NUL-terminated, in w->buf), or -1 when the
 * connection failed (it is then closed). */
static int http_call(struct run *r, struct worker *w, const char *method, const char *path,
		     const char *token, const char *body, const char **out, size_t *out_len)
{
	char head[1024];
	size_t blen = body ? strlen(body) : 0, hend = 0, clen = 0;
	int n, status = 0, close_after = 0;

	if (w->fd < 0 && conn_open(r, w))
		return -1;
	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		     method, path, token, blen);
	if (n < 0 || (size_t)n >= sizeof(head) || send_all(w->fd, head, (size_t)n) ||
	    (blen && send_all(w->fd, body, blen)))
		goto broken;
	w->len = 0;
	for (;;) {
		ssize_t k;

		if (buf_room(w, 8192))
			goto broken;
		k = recv(w->fd, w->buf + w->len, w->cap - w->len - 1, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			goto broken;
		w->len += (size_t)k;
		w->buf[w->len] = '\0';
		if (!hend) {
			char *e = strstr(w->buf, "\r\n\r\n");
			const char *v;
			size_t vlen;

			if (!e)
				continue;
			hend = (size_t)(e - w->buf) + 4;
			if (sscanf(w->buf, "HTTP/1.%*d %d", &status) != 1)
				goto broken;
			v = header_value(w->buf, e, "Content-Length", &vlen);
			if (!v)
				goto broken; /* the server always sends one */
			clen = strtoul(v, NULL, 10);
			v = header_value(w->buf, e, "Connection", &vlen);
			close_after = v && vlen == 5 && !strncasecmp(v, "close", 5);
			if (buf_room(w, clen + 1))
				goto broken;
		}
		if (w->len >= hend + clen)
			break;
	}
	w->buf[hend + clen] = '\0';
	*out = w->buf + hend;
	*out_len = clen;
	if (close_after)
		conn_close(w);
	return status;
broken:
	conn_close(w);
	return -1;
}

static void show_error(struct run *r, struct worker *w, const char *what, int status, const char *body)
{
	if (atomic_fetch_add(&r->errors_shown, 1) < ERRORS_SHOWN)
		fprintf(stderr, "lifecycle: connection %d: %s: %d %.300s\n", w->index, what, status,
			status > 0 ? body : "(connection failed)");
}

/* ---- reading an answer ---- */

/* What a lifecycle needs from a referral answer. */
struct answer {
	long long id;
	int version;
	char status[32], reference[32];
};

/* The value after the first (or, with last, the final) top-level-looking
 * key "key": in text[0, n), or NULL. A key inside a JSON string cannot
 * match: its quotes are escaped there. */
static const char *after_key(const char *text, size_t n, const char *key, int last)
{
	char pat[40];
	size_t plen = (size_t)snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = text, *end = text + n, *found = NULL, *hit;

	while ((hit = memmem(p, (size_t)(end - p), pat, plen))) {
		if (hit == text || hit[-1] != '\\') {
			found = hit + plen;
			if (!last)
				break;
		}
		p = hit + 1;
	}
	return found;
}

static int scan_string(const char *v, const char *end, char *out, size_t len)
{
	size_t i = 0;

	if (!v || v >= end || *v++ != '"')
		return -1;
	while (v < end && *v != '"' && *v != '\\' && i + 1 < len)
		out[i++] = *v++;
	out[i] = '\0';
	return v < end && *v == '"' ? 0 : -1;
}

static int read_answer_scan(const char *text, size_t n, struct answer *a)
{
	const char *end = text + n, *v;
	char *stop;

	if (n < 2 || text[0] != '{' || text[n - 1] != '}' ||
	    scan_string(after_key(text, n, "status", 0), end, a->status, sizeof(a->status)) ||
	    scan_string(after_key(text, n, "reference", 0), end, a->reference, sizeof(a->reference)))
		return -1;
	if (!(v = after_key(text, n, "id", 1)) || (a->id = strtoll(v, &stop, 10)) <= 0 || stop == v)
		return -1;
	if (!(v = after_key(text, n, "version", 1)) || (a->version = (int)strtol(v, &stop, 10)) <= 0 ||
	    stop == v)
		return -1;
	return 0;
}

static int read_answer_json(const char *text, size_t n, struct answer *a)
{
	json_t *doc = json_loadb(text, n, 0, NULL);
	const char *st = json_string_value(json_object_get(doc, "status"));
	const char *ref = json_string_value(json_object_get(doc, "reference"));
	int rc = -1;

	if (st && ref && strlen(st) < sizeof(a->status) && strlen(ref) < sizeof(a->reference)) {
		snprintf(a->status, sizeof(a->status), "%s", st);
		snprintf(a->reference, sizeof(a->reference), "%s", ref);
		a->id = json_integer_value(json_object_get(doc, "id"));
		a->version = (int)json_integer_value(json_object_get(doc, "version"));
		rc = a->id > 0 && a->version > 0 ? 0 : -1;
	}
	json_decref(doc);
	return rc;
}

/* ---- run ---- */

static void acked(struct run *r, long long id, int version, const char *status, const char *ref)
{
	if (!r->acked)
		return;
	pthread_mutex_lock(&r->acked_lock);
	fprintf(r->acked, "%lld %d %s %s\n", id, version, status, ref);
	pthread_mutex_unlock(&r->acked_lock);
}

static int keep_going(struct run *r)
{
	if (r->deadline)
		return now_s() < r->deadline;
	return atomic_fetch_add(&r->started, 1) < r->o.count;
}

/* One request of a lifecycle; on a 2xx answer reads id, version and status
 * and logs the acknowledged write. Returns 0, or -1 for an error (counted). */
static int step(struct run *r, struct worker *w, enum step s, const char *path, const char *body,
		long long *id, int *version)
{
	const char *token = s <= STEP_SEND ? r->o.practitioner : r->o.provider, *out = "";
	size_t out_len = 0;
	double t0 = now_s();
	int status = http_call(r, w, "POST", path, token, body, &out, &out_len);
	double t = now_s() - t0;
	struct answer a;

	if (status < 0) {
		w->conn_errors++;
		show_error(r, w, status_names[s], status, out);
		return -1;
	}
	lat_add(s == STEP_CREATE ? &w->create : &w->move, t);
	if (status < 200 || status > 299) {
		w->http_errors++;
		show_error(r, w, status_names[s], status, out);
		return -1;
	}
	if ((r->o.parse ? read_answer_json : read_answer_scan)(out, out_len, &a) ||
	    strcmp(a.status, status_names[s]) || (s != STEP_CREATE && a.id != *id)) {
		w->http_errors++;
		show_error(r, w, "unexpected answer", status, out);
		return -1;
	}
	*id = a.id;
	*version = a.version;
	acked(r, a.id, a.version, a.status, a.reference);
	if (s == STEP_CREATE)
		w->creates++;
	else
		w->moves++;
	return 0;
}

static int one_lifecycle(struct run *r, struct worker *w, long serial)
{
	char body[16384], path[128];
	long long id = 0;
	int version = 0, n;

	n = snprintf(body, sizeof(body),
		     "{\"service\":\"%s\",\"person\":{\"crn\":\"%s%03d%ld\",\"name\":\"Bench Person %d-%ld\"%s%s}}",
		     r->o.service, r->o.crn_prefix, w->index, serial, w->index, serial,
		     r->profile_json ? ",\"profile\":" : "", r->profile_json ? r->profile_json : "");
	if (n < 0 || (size_t)n >= sizeof(body))
		return -1;
	if (step(r, w, STEP_CREATE, "/api/v1/referrals", body, &id, &version))
		return -1;
	snprintf(path, sizeof(path), "/api/v1/referrals/%lld/transitions", id);
	for (int s = STEP_SEND; s < STEP_COUNT; s++) {
		if (s == STEP_SEND && r->o.override)
			n = snprintf(body, sizeof(body), "{\"to\":\"%s\",\"version\":%d,\"override_reason\":\"%s\"}",
				     status_names[s], version, r->o.override);
		else
			n = snprintf(body, sizeof(body), "{\"to\":\"%s\",\"version\":%d}", status_names[s], version);
		if (n < 0 || (size_t)n >= sizeof(body) || step(r, w, (enum step)s, path, body, &id, &version))
			return -1;
		if (r->deadline && now_s() >= r->deadline && s != STEP_COMPLETE)
			return -1; /* time is up: leave it where it is */
	}
	w->lifecycles++;
	return 0;
}

/* the run every thread shares (a thread's argument is its worker) */
static struct run *the_run;

static void *drive(void *arg)
{
	struct worker *w = arg;
	struct run *r = the_run;
	long serial = 0;

	if (conn_open(r, w)) {
		w->stopped_by_connect = 1;
		w->conn_errors++;
		return NULL;
	}
	while (keep_going(r)) {
		one_lifecycle(r, w, ++serial);
		if (w->fd < 0 && conn_open(r, w)) {
			/* the server is gone (killed): this connection is done */
			w->stopped_by_connect = 1;
			break;
		}
	}
	conn_close(w);
	return NULL;
}

/* ---- verify ---- */

static int step_of(const char *status)
{
	for (int i = 0; i < STEP_COUNT; i++)
		if (!strcmp(status_names[i], status))
			return i;
	return -1;
}

static enum { LOAD_OK, LOAD_FAIL } load_acked(struct run *r)
{
	FILE *f = fopen(r->o.acked, "r");
	long long id;
	int version;
	char status[32], ref[64];

	if (!f) {
		perror(r->o.acked);
		return LOAD_FAIL;
	}
	r->max_id = 0;
	while (fscanf(f, "%lld %d %31s %63s", &id, &version, status, ref) == 4) {
		if (id <= 0 || step_of(status) < 0)
			continue;
		if (id > r->max_id) {
			long cap = (long)id + 1;
			int *v = realloc(r->want_version, (size_t)cap * sizeof(*v));
			signed char *s = v ? realloc(r->want_step, (size_t)cap) : NULL;

			if (!v || !s) {
				fclose(f);
				return LOAD_FAIL;
			}
			r->want_version = v;
			r->want_step = s;
			for (long i = r->max_id + 1; i < cap; i++) {
				v[i] = 0;
				s[i] = -1;
			}
			if (!r->max_id) {
				v[0] = 0;
				s[0] = -1;
			}
			r->max_id = (long)id;
		}
		if (version > r->want_version[id]) {
			r->want_version[id] = version;
			r->want_step[id] = (signed char)step_of(status);
		}
	}
	fclose(f);
	return LOAD_OK;
}

static void *verify_worker(void *arg)
{
	struct worker *w = arg;
	struct run *r = the_run;
	char path[64];
	long id;

	while ((id = atomic_fetch_add(&r->next_id, 1)) <= r->max_id) {
		const char *out = "", *st;
		size_t out_len = 0;
		json_t *doc;
		int status, version;

		if (r->want_step[id] < 0)
			continue;
		snprintf(path, sizeof(path), "/api/v1/referrals/%ld", id);
		status = http_call(r, w, "GET", path, r->o.practitioner, NULL, &out, &out_len);
		if (status < 0) {
			w->conn_errors++;
			show_error(r, w, "verify", status, out);
			break;
		}
		w->gets++;
		if (status == 404) {
			w->missing++;
			fprintf(stderr, "lifecycle: referral %ld (acknowledged at version %d, %s) is missing\n", id,
				r->want_version[id], status_names[r->want_step[id]]);
			continue;
		}
		doc = status == 200 ? json_loadb(out, out_len, 0, NULL) : NULL;
		st = json_string_value(json_object_get(doc, "status"));
		version = (int)json_integer_value(json_object_get(doc, "version"));
		if (!doc || !st) {
			w->http_errors++;
			show_error(r, w, "verify", status, out);
		} else if (version < r->want_version[id] || step_of(st) < r->want_step[id]) {
			w->behind++;
			fprintf(stderr, "lifecycle: referral %ld is at version %d (%s), acknowledged at %d (%s)\n", id,
				version, st, r->want_version[id], status_names[r->want_step[id]]);
		} else {
			w->verified++;
		}
		json_decref(doc);
	}
	conn_close(w);
	return NULL;
}

/* ---- main ---- */

static int usage(void)
{
	fprintf(stderr,
		"usage: lifecycle run --port P --practitioner TOKEN --provider TOKEN [--connections N]\n"
		"                     [--seconds S | --count N] [--service ID] [--profile FILE] [--crn-prefix X]\n"
		"                     [--override REASON] [--acked FILE] [--summary FILE] [--parse]\n"
		"       lifecycle verify --port P --token TOKEN --acked FILE [--connections N]\n");
	return 2;
}

static int parse_options(struct options *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' }, { "practitioner", required_argument, NULL, 'a' },
		{ "token", required_argument, NULL, 'a' }, { "provider", required_argument, NULL, 'b' },
		{ "connections", required_argument, NULL, 'c' }, { "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' }, { "service", required_argument, NULL, 'v' },
		{ "profile", required_argument, NULL, 'f' }, { "crn-prefix", required_argument, NULL, 'x' },
		{ "override", required_argument, NULL, 'o' }, { "acked", required_argument, NULL, 'k' },
		{ "summary", required_argument, NULL, 'j' }, { "parse", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*o = (struct options){ .service = "kss-crc/resolve", .crn_prefix = "B", .connections = 64 };
	if (argc < 2)
		return -1;
	o->mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o->port = (int)strtol(optarg, NULL, 10); break;
		case 'a': o->practitioner = optarg; break;
		case 'b': o->provider = optarg; break;
		case 'c': o->connections = (int)strtol(optarg, NULL, 10); break;
		case 's': o->seconds = strtod(optarg, NULL); break;
		case 'n': o->count = strtol(optarg, NULL, 10); break;
		case 'v': o->service = optarg; break;
		case 'f': o->profile_file = optarg; break;
		case 'x': o->crn_prefix = optarg; break;
		case 'o': o->override = optarg; break;
		case 'k': o->acked = optarg; break;
		case 'j': o->summary = optarg; break;
		case 'J': o->parse = 1; break;
		default: return -1;
		}
	}
	if (optind != argc || o->port <= 0 || o->port > 65535 || !o->practitioner ||
	    o->connections < 1 || o->connections > MAX_CONNECTIONS)
		return -1;
	if (!strcmp(o->mode, "run"))
		return o->provider && (o->seconds > 0) != (o->count > 0) && strlen(o->crn_prefix) <= 4 ? 0 : -1;
	if (!strcmp(o->mode, "verify"))
		return o->acked ? 0 : -1;
	return -1;
}

static double cpu_seconds(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
	       (double)u.ru_stime.tv_usec / 1e6;
}

static int report_run(struct run *r, struct worker *ws, double elapsed, double cpu)
{
	struct worker t = { 0 };
	struct lat all = { 0 };
	double c50, c99, m50, m99, a50, a99;
	int stopped = 0;
	json_t *sum;

	for (int i = 0; i < r->o.connections; i++) {
		struct worker *w = &ws[i];

		t.lifecycles += w->lifecycles;
		t.creates += w->creates;
		t.moves += w->moves;
		t.http_errors += w->http_errors;
		t.conn_errors += w->conn_errors;
		stopped += w->stopped_by_connect;
		lat_merge(&all, &w->create);
		lat_merge(&all, &w->move);
		lat_merge(&t.create, &w->create);
		lat_merge(&t.move, &w->move);
	}
	lat_percentiles(&all, &a50, &a99);
	lat_percentiles(&t.create, &c50, &c99);
	lat_percentiles(&t.move, &m50, &m99);
	printf("  %ld lifecycles (create + 4 transitions) in %.2f s on %d connections: %.0f lifecycles/s\n",
	       t.lifecycles, elapsed, r->o.connections, t.lifecycles / elapsed);
	printf("  %.0f referrals/s, %.0f transitions/s, %.0f requests/s\n", t.creates / elapsed,
	       t.moves / elapsed, (t.creates + t.moves) / elapsed);
	printf("  latency per request: p50 %.2f ms, p99 %.2f ms (create p50 %.2f / p99 %.2f ms;"
	       " transition p50 %.2f / p99 %.2f ms)\n", a50, a99, c50, c99, m50, m99);
	printf("  errors: %ld non-2xx, %ld connection failures%s; client CPU %.2f s (%.0f%% of one core)\n",
	       t.http_errors, t.conn_errors, stopped ? " (the server went away)" : "", cpu,
	       100 * cpu / elapsed);
	if (r->o.summary) {
		sum = json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:i,s:f}",
				"lifecycles", (json_int_t)t.lifecycles, "seconds", elapsed,
				"lifecycles_per_s", t.lifecycles / elapsed, "referrals_per_s", t.creates / elapsed,
				"transitions_per_s", t.moves / elapsed, "p50_ms", a50, "p99_ms", a99,
				"create_p99_ms", c99, "transition_p99_ms", m99,
				"creates", (json_int_t)t.creates, "transitions", (json_int_t)t.moves,
				"http_errors", (json_int_t)t.http_errors, "conn_errors", (json_int_t)t.conn_errors,
				"connections", r->o.connections, "client_cpu_s", cpu);
		if (!sum || json_dump_file(sum, r->o.summary, JSON_INDENT(1))) {
			fprintf(stderr, "lifecycle: cannot write %s\n", r->o.summary);
			json_decref(sum);
			return 1;
		}
		json_decref(sum);
	}
	free(all.v);
	free(t.create.v);
	free(t.move.v);
	return t.http_errors ? 1 : 0;
}

static int report_verify(struct run *r, struct worker *ws)
{
	struct worker t = { 0 };

	for (int i = 0; i < r->o.connections; i++) {
		t.verified += ws[i].verified;
		t.missing += ws[i].missing;
		t.behind += ws[i].behind;
		t.http_errors += ws[i].http_errors;
		t.conn_errors += ws[i].conn_errors;
	}
	printf("  verified %ld acknowledged referrals: %ld missing, %ld behind their acknowledged version,"
	       " %ld errors\n", t.verified, t.missing, t.behind, t.http_errors + t.conn_errors);
	return t.missing || t.behind || t.http_errors || t.conn_errors ? 1 : 0;
}

/* The profile file as compact JSON (it must parse). */
static char *read_profile(const char *path)
{
	json_error_t je;
	json_t *p = json_load_file(path, 0, &je);
	char *s;

	if (!p) {
		fprintf(stderr, "lifecycle: %s:%d: %s\n", path, je.line, je.text);
		return NULL;
	}
	s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return s;
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	struct worker *ws = NULL;
	pthread_t *th = NULL;
	double t0, elapsed, cpu0;
	int code = 2, verify;

	if (parse_options(&r.o, argc, argv))
		return usage();
	verify = !strcmp(r.o.mode, "verify");
	the_run = &r;
	r.addr.sin_family = AF_INET;
	r.addr.sin_port = htons((uint16_t)r.o.port);
	r.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&r.acked_lock, NULL);
	if (r.o.profile_file && !(r.profile_json = read_profile(r.o.profile_file)))
		goto out;
	if (verify) {
		if (load_acked(&r) != LOAD_OK)
			goto out;
		atomic_init(&r.next_id, 1);
	} else if (r.o.acked && !(r.acked = fopen(r.o.acked, "w"))) {
		perror(r.o.acked);
		goto out;
	}
	ws = calloc((size_t)r.o.connections, sizeof(*ws));
	th = calloc((size_t)r.o.connections, sizeof(*th));
	if (!ws || !th)
		goto out;
	t0 = now_s();
	cpu0 = cpu_seconds();
	r.deadline = r.o.seconds > 0 ? t0 + r.o.seconds : 0;
	for (int i = 0; i < r.o.connections; i++) {
		ws[i].index = i;
		ws[i].fd = -1;
		if (pthread_create(&th[i], NULL, verify ? verify_worker : drive, &ws[i])) {
			fprintf(stderr, "lifecycle: cannot start thread %d\n", i);
			r.o.connections = i;
			break;
		}
	}
	for (int i = 0; i < r.o.connections; i++)
		pthread_join(th[i], NULL);
	elapsed = now_s() - t0;
	code = verify ? report_verify(&r, ws) : report_run(&r, ws, elapsed, cpu_seconds() - cpu0);
out:
	if (r.acked && fclose(r.acked)) {
		perror(r.o.acked);
		code = 1;
	}
	for (int i = 0; ws && i < r.o.connections; i++) {
		free(ws[i].buf);
		free(ws[i].create.v);
		free(ws[i].move.v);
	}
	free(ws);
	free(th);
	free(r.profile_json);
	free(r.want_version);
	free(r.want_step);
	pthread_mutex_destroy(&r.acked_lock);
	return code;
}

/* Doctor's findings as text for people (grouped by severity, most severe
 * first; colours only when asked) or JSON Lines for scripts:
 *
 *   CRITICAL  [time_wait_pressure] TIME_WAIT pressure: 84 sockets from ...
 *     evidence  time_wait 84, destination 127.0.0.1:8080, port_use 84.0%
 *     who       4242/churn (84, cgroup /system.slice/churn.service)
 *     meaning   Many mean many short connections closed by this side. ...
 *     action    pid 4242 (churn) closes first ...
 *
 *   {"type":"finding","severity":"critical","id":"time_wait_pressure",...}
 *   {"type":"doctor_summary","findings":1,"checked":[...],"duration_s":10}
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "doctor.h"
#include "render.h"

#define WRAP 100
#define INDENT 12

static const char *sev_color(enum td_sev s)
{
	return s == TD_SEV_CRITICAL ? "\033[1;31m" : s == TD_SEV_WARNING ? "\033[1;33m" : "\033[1;36m";
}

/* text after a label, wrapped at WRAP columns under INDENT spaces. */
static void wrapped(FILE *f, const char *label, const char *text)
{
	int col = fprintf(f, "  %-*s", INDENT - 2, label);

	while (*text) {
		size_t w = strcspn(text, " ");

		if (col > INDENT && col + 1 + (int)w > WRAP) {
			col = fprintf(f, "\n%*s", INDENT, "") - 1;
		} else if (col > INDENT) {
			fputc(' ', f);
			col++;
		}
		col += fprintf(f, "%.*s", (int)w, text);
		text += w;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
}

static void evidence_text(FILE *f, const struct td_finding *x)
{
	char buf[1024], d[32];
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < x->nev && n < sizeof(buf); i++) {
		const struct td_evidence *e = &x->ev[i];
		const char *sep = i ? ", " : "";

		if (e->kind == TD_EV_DUR)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s %s", sep, e->key,
					      td_fmt_duration(d, sizeof(d), e->num));
		else if (e->kind == TD_EV_PCT)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s %" PRIu64 ".%" PRIu64 "%%", sep, e->key,
					      e->num / 10, e->num % 10);
		else if (e->kind == TD_EV_STR)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s %s", sep, e->key, e->str[0] ? e->str : "-");
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s %" PRIu64, sep, e->key, e->num);
	}
	wrapped(f, "evidence", buf);
}

static void owners_text(FILE *f, const struct td_finding *x)
{
	char buf[512];
	size_t n = 0;

	if (!x->nowners)
		return;
	for (unsigned i = 0; i < x->nowners && n < sizeof(buf); i++) {
		const struct td_tally_item *o = &x->owners[i];
		const char *sep = i ? ", " : "";

		/* The root cgroup says nothing: shown in JSON only. */
		bool cg = o->container[0] && strcmp(o->container, "/") != 0;

		if (o->pid)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%u/%s (%" PRIu64 "%s%s)", sep, o->pid, o->key,
					      o->count, cg ? ", cgroup " : "", cg ? o->container : "");
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sunknown (%" PRIu64 ")", sep, o->count);
	}
	wrapped(f, "who", buf);
}

static void finding_text(FILE *f, const struct td_finding *x, bool color)
{
	char sev[16];

	snprintf(sev, sizeof(sev), "%s", td_sev_word(x->sev));
	for (char *p = sev; *p; p++)
		*p = (char)(*p - 'a' + 'A');
	if (color)
		fprintf(f, "%s%-9s\033[0m", sev_color(x->sev), sev);
	else
		fprintf(f, "%-9s", sev);
	fprintf(f, " [%s] %s\n", td_doc_rule_ids[x->rule], x->title);
	evidence_text(f, x);
	owners_text(f, x);
	if (x->meaning)
		wrapped(f, "meaning", x->meaning);
	if (x->action[0])
		wrapped(f, "action", x->action);
}

static void checked_text(FILE *f)
{
	for (int r = 0; r < TD_R_MAX; r++)
		fprintf(f, "%s%s", r ? ", " : "", td_doc_rule_ids[r]);
}

void td_doctor_render_text(FILE *f, const struct td_findings *fs, const struct td_doc_render *o)
{
	unsigned n[TD_SEV_CRITICAL + 1] = { 0 };
	char d[32];

	td_fmt_duration(d, sizeof(d), o->duration_ns);
	if (!fs->n) {
		fprintf(f, "tcpdwell doctor: healthy: no findings after %s, %zu sockets and %" PRIu64
			   " transitions (%" PRIu64 " lost); checked ", d, o->nsocks, o->events, o->lost);
		checked_text(f);
		fputs("\n", f);
		return;
	}
	for (unsigned i = 0; i < fs->n; i++)
		n[fs->v[i].sev]++;
	fprintf(f, "tcpdwell doctor: %u finding%s (%u critical, %u warning, %u info) after %s, %zu sockets and %" PRIu64
		   " transitions (%" PRIu64 " lost)\n", fs->n, fs->n == 1 ? "" : "s", n[TD_SEV_CRITICAL],
		n[TD_SEV_WARNING], n[TD_SEV_INFO], d, o->nsocks, o->events, o->lost);
	fputs("checked: ", f);
	checked_text(f);
	fputs("\n", f);
	for (unsigned i = 0; i < fs->n; i++) {
		fputc('\n', f);
		finding_text(f, &fs->v[i], o->color);
	}
}

static void evidence_json(FILE *f, const struct td_finding *x)
{
	fputs("\"evidence\":{", f);
	for (unsigned i = 0; i < x->nev; i++) {
		const struct td_evidence *e = &x->ev[i];

		fprintf(f, "%s\"%s%s\":", i ? "," : "", e->key, e->kind == TD_EV_DUR ? "_ns" : "");
		if (e->kind == TD_EV_STR)
			td_json_str(f, e->str, sizeof(e->str));
		else if (e->kind == TD_EV_PCT)
			fprintf(f, "%" PRIu64 ".%" PRIu64, e->num / 10, e->num % 10);
		else
			fprintf(f, "%" PRIu64, e->num);
	}
	fputs("}", f);
}

static void owners_json(FILE *f, const struct td_finding *x)
{
	fputs("\"owners\":[", f);
	for (unsigned i = 0; i < x->nowners; i++) {
		const struct td_tally_item *o = &x->owners[i];

		fputs(i ? ",{" : "{", f);
		if (o->pid) {
			fprintf(f, "\"pid\":%u,\"comm\":", o->pid);
			td_json_str(f, o->key, sizeof(o->key));
		} else {
			fputs("\"pid\":null,\"comm\":null", f);
		}
		fputs(",\"container\":", f);
		if (o->container[0])
			td_json_str(f, o->container, sizeof(o->container));
		else
			fputs("null", f);
		fprintf(f, ",\"count\":%" PRIu64 "}", o->count);
	}
	fputs("]", f);
}

void td_doctor_render_json(FILE *f, const struct td_findings *fs, const struct td_doc_render *o)
{
	for (unsigned i = 0; i < fs->n; i++) {
		const struct td_finding *x = &fs->v[i];

		fprintf(f, "{\"type\":\"finding\",\"severity\":\"%s\",\"id\":\"%s\",\"title\":", td_sev_word(x->sev),
			td_doc_rule_ids[x->rule]);
		td_json_str(f, x->title, sizeof(x->title));
		fputc(',', f);
		evidence_json(f, x);
		fputs(",\"meaning\":", f);
		td_json_str(f, x->meaning ? x->meaning : "", 4096);
		fputs(",\"action\":", f);
		td_json_str(f, x->action, sizeof(x->action));
		fputc(',', f);
		owners_json(f, x);
		fputs("}\n", f);
	}
	fprintf(f, "{\"type\":\"doctor_summary\",\"findings\":%u,\"checked\":[", fs->n);
	for (int r = 0; r < TD_R_MAX; r++)
		fprintf(f, "%s\"%s\"", r ? "," : "", td_doc_rule_ids[r]);
	fprintf(f, "],\"duration_s\":%.1f,\"sockets\":%zu,\"events\":%" PRIu64 ",\"lost\":%" PRIu64 "}\n",
		o->duration_ns / 1e9, o->nsocks, o->events, o->lost);
}

/* The privileges the README documents, checked as nobody under setpriv:
 * with the documented set each mode starts and traces; with one capability
 * less it exits 1 with one line naming what is missing, and no word of the
 * verifier log. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

/* Runs tcpdwell with args as nobody holding caps: its exit status, stdout
 * in r->out (the caller closes it), stderr in r->err. */
static int run_caps(struct run *r, char **args, const char *caps)
{
	run_start_caps(r, args, caps);
	return run_finish(r, 0);
}

static void assert_missing(char **args, const char *caps, const char *missing)
{
	struct run r;
	int status = run_caps(&r, args, caps);

	cr_assert_eq(status, 1, "[%s] %s: exit %d; stderr: %s", caps, args[0], status, r.err);
	cr_assert_neq(strstr(r.err, missing), NULL, "[%s] %s: want \"%s\" in: %s", caps, args[0], missing, r.err);
	cr_assert_eq(strstr(r.err, "verifier"), NULL, "[%s] a refusal suggests the verifier log: %s", caps, r.err);
	cr_assert(r.errlen > 0 && strchr(r.err, '\n') == r.err + r.errlen - 1, "[%s] more than one line: %s",
		  caps, r.err);
	fclose(r.out);
}

/* Starts with caps, makes one connection to a listener on a free port while
 * it runs, and finds the connection in its -e output. */
static void assert_traces(char **extra, const char *caps)
{
	uint16_t port = free_port(4);
	char portstr[8], *args[16], line[512];
	int lfd, cfd, afd, n = 0, seen = 0;
	struct run r;

	snprintf(portstr, sizeof(portstr), "%u", port);
	while (*extra)
		args[n++] = *extra++;
	args[n++] = "-e";
	args[n++] = "-d";
	args[n++] = "2";
	args[n++] = "-L";
	args[n++] = portstr;
	args[n] = NULL;
	lfd = tcp_listen(4, &port, 8);
	run_start_caps(&r, args, caps);
	cr_assert(run_wait_stderr(&r, "tracing TCP", 10000), "[%s] did not start: %s", caps, r.err);
	cfd = tcp_connect(4, port);
	afd = accept(lfd, NULL, NULL);
	cr_assert_geq(afd, 0);
	close(cfd);
	close(afd);
	close(lfd);
	cr_assert_eq(run_finish(&r, 0), 0, "[%s] stderr: %s", caps, r.err);
	rewind(r.out);
	while (fgets(line, sizeof(line), r.out))
		seen += strstr(line, portstr) && strstr(line, "ESTABLISHED") != NULL;
	fclose(r.out);
	cr_assert_gt(seen, 0, "[%s] no transition on port %s traced", caps, portstr);
}

Test(privs, default_needs_bpf_and_perfmon, .init = require_root, .timeout = 60)
{
	char *none[] = { NULL }, *args[] = { "-d", "1", "-P", "9", NULL };

	assert_traces(none, "+bpf,+perfmon");
	assert_missing(args, "+bpf", "missing: CAP_PERFMON");
	assert_missing(args, "+perfmon", "missing: CAP_BPF");
}

Test(privs, timers_need_syslog_too, .init = require_root, .timeout = 60)
{
	char *timers[] = { "-T", NULL }, *args[] = { "-T", "-d", "1", "-P", "9", NULL };

	assert_traces(timers, "+bpf,+perfmon,+syslog");
	assert_missing(args, "+bpf,+perfmon", "missing: CAP_SYSLOG");
	assert_missing(args, "+bpf,+syslog", "missing: CAP_PERFMON");
}

Test(privs, exporter_needs_bpf_and_perfmon, .init = require_root, .timeout = 60)
{
	char addr[32], *prom[] = { "--prometheus", addr, NULL };
	char *args[] = { "--prometheus", addr, "-d", "1", "-P", "9", NULL };
	struct run r;

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", free_port(4));
	assert_traces(prom, "+bpf,+perfmon");
	assert_missing(args, "+bpf", "missing: CAP_PERFMON");
	/* Below 1024 the port needs CAP_NET_BIND_SERVICE, and says so. */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", 990);
	cr_assert_eq(run_caps(&r, args, "+bpf,+perfmon"), 1, "stderr: %s", r.err);
	cr_assert_neq(strstr(r.err, "CAP_NET_BIND_SERVICE"), NULL, "stderr: %s", r.err);
	fclose(r.out);
}

/* A root tracer's shared maps are root's (mode 0700): snapshot as another
 * user reads them with CAP_DAC_OVERRIDE, and without it says so in one
 * line, whether the directory or the pins refuse it. */
Test(privs, snapshot_needs_bpf_perfmon_and_dac_override, .init = require_root, .timeout = 60)
{
	char pid[16], *tracer_args[] = { "-d", "20", "-P", "9", NULL };
	char *args[] = { "snapshot", "-P", "9", "-t", pid, NULL };
	struct run tracer, r;
	int status;

	run_start(&tracer, tracer_args, -1);
	cr_assert(run_wait_stderr(&tracer, "tracing TCP", 10000), "tracer did not start: %s", tracer.err);
	snprintf(pid, sizeof(pid), "%d", (int)tracer.pid);
	status = run_caps(&r, args, "+bpf,+perfmon,+dac_override");
	cr_assert_eq(status, 0, "stderr: %s", r.err);
	cr_assert_neq(strstr(r.err, "times in state from the tracer pid "), NULL, "stderr: %s", r.err);
	fclose(r.out);
	assert_missing(args, "+bpf,+perfmon", "failed to read the maps tracers share in /sys/fs/bpf/tcpdwell: "
					       "Permission denied; run snapshot as root, or grant CAP_DAC_OVERRIDE");
	assert_missing(args, "+bpf,+perfmon,+dac_read_search", "failed to open the maps tracer");
	assert_missing(args, "+bpf,+perfmon,+dac_read_search", "grant CAP_DAC_OVERRIDE");
	assert_missing(args, "+bpf,+dac_override", "missing: CAP_PERFMON");
	assert_missing(args, "+perfmon,+dac_override", "missing: CAP_BPF");
	cr_assert_eq(run_finish(&tracer, SIGINT), 0, "tracer: %s", tracer.err);
	fclose(tracer.out);
}

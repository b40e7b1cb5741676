/* The Kubernetes DaemonSet (scripts/tcpdwell-daemonset.yaml), as far as it
 * can be checked without a cluster: it parses as YAML (python3-yaml reads
 * it and prints what the checks need, one "key value" a line), it has what
 * the README promises, and tcpdwell's own option parser accepts its
 * arguments. */
#include <criterion/criterion.h>
#include "test_util.h"

#define MANIFEST "scripts/tcpdwell-daemonset.yaml"

/* Prints "kind K" per document, then of the DaemonSet: host_pid,
 * host_network, each "arg A", "port P", "mount PATH", "host_path PATH",
 * "cap C", "drop C", "annotation K=V". */
static const char summary_py[] =
	"import sys, yaml\n"
	"docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]\n"
	"for d in docs: print('kind', d['kind'])\n"
	"ds = [d for d in docs if d['kind'] == 'DaemonSet'][0]\n"
	"t = ds['spec']['template']\n"
	"s = t['spec']\n"
	"print('host_pid', s.get('hostPID'))\n"
	"print('host_network', s.get('hostNetwork'))\n"
	"for k, v in t['metadata']['annotations'].items(): print('annotation %s=%s' % (k, v))\n"
	"c = s['containers'][0]\n"
	"for a in c['args']: print('arg', a)\n"
	"for p in c['ports']: print('port', p['containerPort'])\n"
	"for m in c['volumeMounts']: print('mount', m['mountPath'])\n"
	"for v in s['volumes']: print('host_path', v['hostPath']['path'])\n"
	"for x in c['securityContext']['capabilities']['add']: print('cap', x)\n"
	"for x in c['securityContext']['capabilities']['drop']: print('drop', x)\n";

struct manifest {
	char *text; /* the summary, NUL-ended */
	char *args[32];
	int nargs;
};

static void read_manifest(struct manifest *m)
{
	char cmd[2048], line[512];
	struct memout out;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "python3 -c \"$(cat <<'EOF'\n%sEOF\n)\" " MANIFEST " 2>&1", summary_py);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	memout_open(&out);
	m->args[0] = "tcpdwell";
	m->nargs = 1;
	while (fgets(line, sizeof(line), p)) {
		fputs(line, out.f);
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "arg ", 4) == 0 && m->nargs < 31)
			m->args[m->nargs++] = strdup(line + 4);
	}
	m->args[m->nargs] = NULL;
	status = pclose(p);
	m->text = strdup(memout_close(&out));
	memout_free(&out);
	cr_assert_eq(status, 0, "python3 could not read %s as YAML (python3-yaml installed?):\n%s", MANIFEST, m->text);
}

static void free_manifest(struct manifest *m)
{
	for (int i = 1; i < m->nargs; i++)
		free(m->args[i]);
	free(m->text);
}

Test(fleet, daemonset_has_what_the_readme_says)
{
	static const char *const want[] = {
		"kind DaemonSet\n", "host_pid True\n", "host_network True\n",
		"annotation prometheus.io/scrape=true\n", "annotation prometheus.io/port=9101\n",
		"port 9101\n", "mount /sys/fs/bpf\n", "mount /sys/kernel/tracing\n", "mount /sys/kernel/btf\n",
		"host_path /sys/fs/cgroup\n", "cap BPF\n", "cap PERFMON\n", "drop ALL\n",
	};
	struct manifest m;

	read_manifest(&m);
	for (size_t i = 0; i < N(want); i++)
		cr_expect_not_null(strstr(m.text, want[i]), "no %.*s in:\n%s", (int)strlen(want[i]) - 1, want[i], m.text);
	/* Only what loading and the census need (the README's table). */
	for (const char *p = m.text; (p = strstr(p, "\ncap ")); p++) {
		static const char *const allowed[] = { "BPF\n", "PERFMON\n", "SYS_ADMIN\n", "SYS_PTRACE\n",
						       "DAC_READ_SEARCH\n" };
		bool ok = false;

		for (size_t i = 0; i < N(allowed); i++)
			ok = ok || strncmp(p + 5, allowed[i], strlen(allowed[i])) == 0;
		cr_expect(ok, "a capability beyond the justified ones: %.24s", p + 1);
	}
	free_manifest(&m);
}

/* The container's args go through the same parser as a command line, and
 * serve the port the annotations name. */
Test(fleet, daemonset_args_parse)
{
	struct manifest m;
	struct td_config cfg;
	struct memout out, err;
	int rc;

	read_manifest(&m);
	cr_assert_gt(m.nargs, 1, "no args in the DaemonSet");
	memout_open(&out);
	memout_open(&err);
	rc = td_parse_args(&cfg, m.nargs, m.args, out.f, err.f);
	memout_close(&out);
	memout_close(&err);
	cr_assert_eq(rc, 0, "tcpdwell rejects the DaemonSet's args: %s", err.buf);
	cr_assert_eq(cfg.prometheus.family, 4);
	cr_assert_eq(cfg.prometheus.port, 9101, "the exporter's port is not the annotated 9101");
	memout_free(&out);
	memout_free(&err);
	free_manifest(&m);
}

/* Runs a shell command; its exit status, with its output in out. */
static int sh(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	cr_assert_not_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return pclose(p);
}

/* The rules load; the recording rules compute the fleet's p99 per state
 * from two nodes' buckets as worked out in tests/fleet/rules_test.yaml, and
 * each alert fires for the made-up trouble there and not for its healthy
 * twin. */
Test(fleet, recording_rules)
{
	char out[4096];

	cr_assert_eq(sh("promtool check rules scripts/tcpdwell-rules.yaml 2>&1", out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(sh("promtool test rules tests/fleet/rules_test.yaml 2>&1", out, sizeof(out)), 0, "%s", out);
}

/* The scrape configuration: Debian's Prometheus is built without
 * Kubernetes discovery, so promtool checks it with the
 * kubernetes_sd_configs swapped for a static target; the relabelling (its
 * regexes), the rule file and the rest are checked as written. */
Test(fleet, scrape_config)
{
	char cmd[2048], out[4096];

	snprintf(cmd, sizeof(cmd),
		 "d=$(mktemp -d) && python3 -c \"$(cat <<'EOF'\n"
		 "import sys, yaml\n"
		 "c = yaml.safe_load(open('scripts/prometheus-fleet.yml'))\n"
		 "j = c['scrape_configs'][0]\n"
		 "assert j['kubernetes_sd_configs'][0]['role'] == 'pod'\n"
		 "del j['kubernetes_sd_configs']\n"
		 "j['static_configs'] = [{'targets': ['127.0.0.1:9101']}]\n"
		 "yaml.safe_dump(c, open(sys.argv[1] + '/prometheus.yml', 'w'))\n"
		 "EOF\n"
		 ")\" \"$d\" && cp scripts/tcpdwell-rules.yaml \"$d\"/ && promtool check config \"$d\"/prometheus.yml 2>&1;"
		 " s=$?; rm -rf \"$d\"; exit $s");
	cr_assert_eq(sh(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert_not_null(strstr(out, "SUCCESS: 8 rules found"), "%s", out);
}

/* make install into a DESTDIR with PREFIX=/usr: the unit names that
 * PREFIX's binary and systemd-analyze verify accepts it as installed, the
 * man page renders without warnings, the completion completes every option
 * of both tables from the installed binary; make uninstall removes it all. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"
#include "opts.h"

/* The sub-make must not inherit the jobserver of a `make test` that runs us;
 * -o tcpdwell: the binary other tests run is never relinked under them. */
#define MAKE "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -o tcpdwell "

/* Runs cmd with a shell; its stdout and stderr into out. Exit status. */
static int sh(char *out, size_t len, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "popen %s", cmd);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static void expect_file(const char *root, const char *path, mode_t mode)
{
	char full[512];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", root, path);
	cr_expect_eq(stat(full, &st), 0, "%s was not installed", path);
	cr_expect_eq(st.st_mode & 07777, mode, "%s: mode %o, not %o", path, st.st_mode & 07777, mode);
}

/* The unit as installed, against the installed binary and man page: /usr of
 * a private mount namespace is the DESTDIR's /usr over the real one. */
static void verify_unit(const char *root)
{
	char out[4096];
	int rc = sh(out, sizeof(out),
		    "unshare -m sh -c 'mount -t overlay overlay -o lowerdir=%s/usr:/usr /usr && "
		    "systemd-analyze verify %s/etc/systemd/system/tcpdwell.service' 2>&1", root, root);

	cr_expect_eq(rc, 0, "systemd-analyze verify failed: %s", out);
	cr_expect_str_empty(out, "systemd-analyze verify warned: %s", out);
}

/* "tcpdwell [WORD] -<TAB>" through the installed completion and binary:
 * every row of the command's table is offered. */
static void expect_completion(const char *root, const struct td_optcmd *cmd)
{
	static char out[8192];
	struct td_optset set;
	int rc = sh(out, sizeof(out),
		    "bash -c 'source %s/usr/share/bash-completion/completions/tcpdwell && "
		    "COMP_WORDS=(%s/usr/bin/tcpdwell %s -) && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && "
		    "_tcpdwell && echo \" ${COMPREPLY[*]} \"' 2>&1", root, root, cmd->name ? cmd->name : "");

	cr_assert_eq(rc, 0, "completion failed: %s", out);
	cr_assert_eq(td_opt_build(cmd, &set), 0);
	for (int i = 0; i < set.n; i++) {
		char want[64];

		snprintf(want, sizeof(want), " --%s ", set.row[i]->name);
		cr_expect_not_null(strstr(out, want), "completion lacks%s: %s", want, out);
		snprintf(want, sizeof(want), " -%c ", set.row[i]->letter);
		cr_expect(!set.row[i]->letter || strstr(out, want), "completion lacks%s: %s", want, out);
	}
}

Test(install, destdir_prefix_usr_then_uninstall, .init = require_root, .timeout = 120)
{
	char root[] = "/tmp/td-install.XXXXXX", out[4096], unit[512];
	FILE *f;

	cr_assert_not_null(mkdtemp(root));
	cr_assert_eq(access("Makefile", R_OK), 0, "run the tests from the top of the tree");
	cr_assert_eq(sh(out, sizeof(out), MAKE "install DESTDIR=%s PREFIX=/usr 2>&1", root), 0, "%s", out);
	expect_file(root, "/usr/bin/tcpdwell", 0755);
	expect_file(root, "/etc/systemd/system/tcpdwell.service", 0644);
	expect_file(root, "/usr/share/man/man8/tcpdwell.8", 0644);
	expect_file(root, "/usr/share/bash-completion/completions/tcpdwell", 0644);
	expect_file(root, "/usr/share/tcpdwell/grafana-dashboard.json", 0644);

	snprintf(unit, sizeof(unit), "%s/etc/systemd/system/tcpdwell.service", root);
	f = fopen(unit, "r");
	cr_assert_not_null(f);
	out[fread(out, 1, sizeof(out) - 1, f)] = '\0';
	fclose(f);
	cr_expect_not_null(strstr(out, "\nExecStart=/usr/bin/tcpdwell "), "ExecStart ignores PREFIX: %s", out);
	cr_expect_null(strstr(out, "@BINDIR@"), "template left unfilled");
	verify_unit(root);

	cr_expect_eq(sh(out, sizeof(out), "MANWIDTH=80 man --warnings -l %s/usr/share/man/man8/tcpdwell.8 2>&1 >/dev/null",
			root), 0);
	cr_expect_str_empty(out, "man page warnings: %s", out);
	for (const struct td_optcmd *const *c = td_commands; *c; c++)
		expect_completion(root, *c);

	cr_assert_eq(sh(out, sizeof(out), MAKE "uninstall DESTDIR=%s PREFIX=/usr 2>&1", root), 0, "%s", out);
	sh(out, sizeof(out), "find %s ! -type d; find %s -name tcpdwell", root, root);
	cr_expect_str_empty(out, "left behind by make uninstall: %s", out);
	sh(out, sizeof(out), "rm -rf %s", root);
}

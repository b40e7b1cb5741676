/* Privilege drop for the long-running exporter: libcap-ng for capabilities,
 * libseccomp for the system-call allow-list. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <linux/bpf.h>
#include <cap-ng.h>
#include <seccomp.h>
#include "diag.h"
#include "privs.h"

/* What the main loop, libbpf's ring buffer, stdio, malloc, libmicrohttpd,
 * the cgroup walk (--prometheus-by container: getdents64)
 * and the exit path (closing fds, removing bpffs pins) use. A call outside
 * the list fails with EPERM rather than killing the process. */
static const char *const allowed[] = {
	"read", "readv", "pread64", "write", "writev", "pwrite64", "close", "lseek", "fstat", "newfstatat",
	"statx", "fcntl", "ioctl", "dup", "dup2", "dup3", "pipe2",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select",
	"pselect6", "eventfd2",
	"accept", "accept4", "recvfrom", "recvmsg", "sendto", "sendmsg", "shutdown", "setsockopt",
	"getsockopt", "getsockname", "getpeername", "socket", "bind", "listen",
	"mmap", "munmap", "mremap", "mprotect", "madvise", "brk",
	"futex", "nanosleep", "clock_nanosleep", "clock_gettime", "gettimeofday", "sched_yield",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "restart_syscall", "sigaltstack",
	"getpid", "gettid", "tgkill", "getrandom", "uname", "sysinfo",
	"openat", "getdents64", "unlink", "unlinkat", "rmdir", "readlink", "readlinkat", "access", "faccessat", "faccessat2",
	"exit", "exit_group",
};

/* bpf() commands that only use objects this process already holds
 * (BPF_PROG_TEST_RUN: the census walk, user/walker.c). */
static const unsigned int bpf_cmds[] = {
	BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY,
	BPF_MAP_LOOKUP_BATCH, BPF_OBJ_GET_INFO_BY_FD, BPF_ITER_CREATE, BPF_PROG_TEST_RUN,
};

/* CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON (bpf_capable() and
 * perfmon_capable() in the kernel) but not for CAP_SYSLOG. */
static int have(int cap)
{
	return capng_have_capability(CAPNG_EFFECTIVE, (unsigned int)cap) ||
	       (cap != CAP_SYSLOG && capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN));
}

bool td_privilege_hint(char *buf, size_t len, enum td_need need)
{
	static const struct {
		int cap;
		const char *name;
	} caps[] = { { CAP_BPF, "CAP_BPF" }, { CAP_PERFMON, "CAP_PERFMON" }, { CAP_SYSLOG, "CAP_SYSLOG" } };
	size_t n = need == TD_NEED_KALLSYMS ? 3 : 2;
	char missing[64] = "";
	int at;

	at = snprintf(buf, len, "; run as root or grant CAP_BPF+CAP_PERFMON%s",
		      need == TD_NEED_KALLSYMS ? "+CAP_SYSLOG" : "");
	if (at < 0 || (size_t)at >= len)
		return false;
	capng_get_caps_process();
	for (size_t i = 0; i < n; i++)
		if (!have(caps[i].cap))
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 missing[0] ? "+" : "", caps[i].name);
	if (missing[0])
		snprintf(buf + at, len - (size_t)at, " (missing: %s)", missing);
	return missing[0] != '\0';
}

/* EPERM is a refusal; EACCES one only when a capability is missing, as
 * with all of them it is the verifier rejecting a program. */
bool td_privilege_refusal(char *buf, size_t len, int err, enum td_need need)
{
	bool missing = false;

	if (err == -EPERM || err == -EACCES)
		missing = td_privilege_hint(buf, len, need);
	if (err == -EPERM || missing)
		return true;
	buf[0] = '\0';
	return false;
}

/* What a census of other namespaces adds: finding them in /proc and
 * /run/netns, and entering each (setns for a network namespace only). */
static int allow_setns(scmp_filter_ctx ctx)
{
	static const char *const walk[] = { "getdents64", "statfs", "fstatfs" };
	int err = 0;

	for (size_t i = 0; !err && i < sizeof(walk) / sizeof(walk[0]); i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(walk[i]), 0);
	if (!err)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setns), 1, SCMP_A1(SCMP_CMP_EQ, CLONE_NEWNET));
	return err;
}

/* Keeps those of keep the process has (a census without them counts this
 * namespace only, and has said so). */
static int drop_caps(const int *keep, size_t nkeep, bool *setns_ok)
{
	bool held[8] = { false };

	*setns_ok = false;
	capng_get_caps_process();
	for (size_t i = 0; i < nkeep && i < 8; i++)
		held[i] = capng_have_capability(CAPNG_EFFECTIVE, (unsigned int)keep[i]);
	capng_clear(CAPNG_SELECT_ALL);
	for (size_t i = 0; i < nkeep && i < 8; i++) {
		if (!held[i])
			continue;
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned int)keep[i]))
			return -1;
		*setns_ok |= keep[i] == CAP_SYS_ADMIN;
	}
	return capng_apply(CAPNG_SELECT_ALL);
}

int td_drop_privileges(const int *keep, size_t nkeep)
{
	scmp_filter_ctx ctx;
	bool setns_ok;
	int err = 0;

	err = drop_caps(keep, nkeep, &setns_ok);
	if (err) {
		td_err("failed to drop capabilities (libcap-ng error %d)", err);
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err = -errno;
		td_err("failed to set no_new_privs: %s", strerror(-err));
		return err;
	}
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx) {
		td_err("failed to set up seccomp");
		return -ENOMEM;
	}
	for (size_t i = 0; !err && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		if (nr != __NR_SCMP_ERROR)
			err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	for (size_t i = 0; !err && i < sizeof(bpf_cmds) / sizeof(bpf_cmds[0]); i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(bpf), 1, SCMP_A0(SCMP_CMP_EQ, bpf_cmds[i]));
	if (!err && setns_ok)
		err = allow_setns(ctx);
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err) {
		td_err("failed to load the seccomp filter: %s", strerror(-err));
		return err;
	}
	return 0;
}

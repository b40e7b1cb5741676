/* The hooks a kernel may lack: the reset tracepoints (tp_btf, with the
 * arguments tcpdwell reads) and the accept syscalls' classic tracepoints
 * (tracefs). What a kernel cannot take is left unloaded, with one line on
 * what goes missing, so that the rest runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "diag.h"
#include "hooks.h"
#include "holders_iter.h"
#include "pins.h"
#include "walker.h"
#include <linux/types.h>
#include "tcpdwell.h"
#include "tcpdwell.skel.h"

static struct btf *vmlinux_btf;

const struct btf *td_vmlinux_btf(void)
{
	if (!vmlinux_btf)
		vmlinux_btf = btf__load_vmlinux_btf();
	return vmlinux_btf;
}

void td_vmlinux_btf_release(void)
{
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
}

/* Whether the running kernel has tracepoint tp with at least nargs
 * arguments (its btf_trace_<tp> typedef: a pointer to a prototype whose
 * first parameter is the context). */
static bool tracepoint_has(const struct btf *btf, const char *tp, unsigned int nargs)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type); /* the pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	return t && btf_is_func_proto(t) && btf_vlen(t) >= nargs + 1;
}

/* Hooks that older kernels lack: left unloaded, with one line on what
 * goes missing, so the rest runs. */
void td_hooks_drop_missing(struct tcpdwell_bpf *skel)
{
	const struct {
		struct bpf_program *prog;
		const char *tp;
		unsigned int nargs;
		const char *lost;
	} hooks[] = {
		{ skel->progs.handle_send_reset, "tcp_send_reset", 3, "reset_sent causes and RST reasons" },
		{ skel->progs.handle_receive_reset, "tcp_receive_reset", 1, "reset_received causes" },
	};
	const struct btf *btf = td_vmlinux_btf();

	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		if (btf && tracepoint_has(btf, hooks[i].tp, hooks[i].nargs))
			continue;
		bpf_program__set_autoload(hooks[i].prog, false);
		td_warn("this kernel has no tracepoint tcp:%s with the arguments tcpdwell reads: no %s",
			hooks[i].tp, hooks[i].lost);
	}
	td_holders_prepare(skel, true);
	td_walker_wanted(skel); /* the census walk needs bpf_rdonly_cast */
}

/* bpf_rdonly_cast's BTF id in the running kernel; 0: it has none. */
static int rdonly_cast_id(void)
{
	const struct btf *btf = td_vmlinux_btf();
	int id = btf ? btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) : -1;

	return id > 0 ? id : 0;
}

bool td_hooks_rdonly_cast(void)
{
	return rdonly_cast_id() > 0;
}

/* Whether bpf_rdonly_cast takes btf_id 0, a cast to void whose result
 * loads at any offset (v6.16; earlier kernels refuse it): tried by loading
 * r0 = bpf_rdonly_cast(0, 0); r0 = *(u64 *)(r0 + 8); return 0. */
static bool rdonly_cast_void(int kfunc)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = kfunc },
		{ .code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_0, .off = 8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, NULL, "GPL", insns, sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The accept programs come in two flavours (bpf/accept.bpf.h): loads
 * through the bpf_rdonly_cast kfunc, cast to kernel types (v6.2) and to
 * void (v6.16), and probe reads for kernels without them. on: load one. */
static void td_hooks_accept_flavour(struct tcpdwell_bpf *skel, bool on)
{
	int kfunc = on ? rdonly_cast_id() : 0;
	bool cast = kfunc && rdonly_cast_void(kfunc);

	bpf_program__set_autoload(skel->progs.handle_accept4, on && cast);
	bpf_program__set_autoload(skel->progs.handle_accept, on && cast);
	bpf_program__set_autoload(skel->progs.handle_accept4_probe, on && !cast);
	bpf_program__set_autoload(skel->progs.handle_accept_probe, on && !cast);
}

/* Checked with the effective ids and capabilities (AT_EACCESS): plain
 * access() drops the capabilities of a non-root user, so that one granted
 * CAP_DAC_READ_SEARCH would be told the tracepoints are missing. */
static bool tracefs_has(const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), TD_TRACEFS "/events/syscalls/%s", event);
	return faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) == 0;
}

/* The accept programs are classic tracepoints: they need tracefs and the
 * syscall events. Without them only the accept-queue wait is missing; the
 * warning waits for a successful load, as without privileges the load
 * fails anyway and says what is needed. */
bool td_hooks_accepts(struct tcpdwell_bpf *skel, char *why, size_t len)
{
	int err = td_tracefs_ensure();

	why[0] = '\0';
	if (err)
		snprintf(why, len, "failed to mount tracefs on %s (%s)", TD_TRACEFS, strerror(-err));
	else if (!tracefs_has("sys_exit_accept4") || !tracefs_has("sys_exit_accept"))
		snprintf(why, len, "no syscalls:sys_exit_accept4/sys_exit_accept tracepoints");
	td_hooks_accept_flavour(skel, !why[0]);
	return !why[0];
}

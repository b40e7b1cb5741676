/* Unit tests of user/container.c: cgroup v2 paths as the container
 * runtimes, kubelet and systemd make them, and bad ones. */
#include <errno.h>
#include <string.h>
#include <criterion/criterion.h>
#include "container.h"

#define ID64 "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"
#define UID "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define UID_ "1b4e28ba_2fa1_11d2_883f_0016d3cca427"

struct shape {
	const char *path, *container, *runtime, *pod_uid, *unit;
};

static void check(const struct shape *s)
{
	struct td_identity id;

	cr_assert_eq(td_identity_parse(s->path, &id), 0, "%s", s->path);
	cr_expect_str_eq(id.container, s->container, "%s: container", s->path);
	cr_expect_str_eq(id.runtime, s->runtime, "%s: runtime", s->path);
	cr_expect_str_eq(id.pod_uid, s->pod_uid, "%s: pod", s->path);
	cr_expect_str_eq(id.unit, s->unit, "%s: unit", s->path);
}

Test(container, runtimes_systemd_driver)
{
	const struct shape shapes[] = {
		{ "/system.slice/docker-" ID64 ".scope", ID64, "docker", "", "" },
		{ "/system.slice/nerdctl-" ID64 ".scope", ID64, "containerd", "", "" },
		{ "/machine.slice/libpod-" ID64 ".scope", ID64, "podman", "", "" },
		/* podman --systemd: the container's own init below its scope */
		{ "/machine.slice/libpod-" ID64 ".scope/container", ID64, "podman", "", "" },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope", ID64, "podman",
		  "", "user@1000.service" },
		{ "/machine.slice/libpod-conmon-" ID64 ".scope", "", "", "", "libpod-conmon-" ID64 ".scope" },
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check(&shapes[i]);
}

Test(container, kubernetes_systemd_driver)
{
	const struct shape shapes[] = {
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID64
		  ".scope", ID64, "containerd", UID, "" },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID64 ".scope",
		  ID64, "cri-o", UID, "" },
		/* guaranteed pods sit right under kubepods.slice */
		{ "/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID64 ".scope", ID64, "docker", UID, "" },
		/* cri-o's monitor: the pod, not the container */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-conmon-" ID64
		  ".scope", "", "", UID, "crio-conmon-" ID64 ".scope" },
		/* the pause container's pod slice alone */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice", "", "", UID, "" },
		/* kind nodes: kubelet's own slice */
		{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
		  "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID64 ".scope", ID64, "containerd",
		  UID, "" },
		/* static pods: the UID is a 32-digit hash */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0123456789abcdef0123456789abcdef"
		  ".slice/cri-containerd-" ID64 ".scope", ID64, "containerd", "0123456789abcdef0123456789abcdef", "" },
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check(&shapes[i]);
}

Test(container, cgroupfs_driver)
{
	const struct shape shapes[] = {
		{ "/docker/" ID64, ID64, "docker", "", "" },
		{ "/kubepods/burstable/pod" UID "/" ID64, ID64, "", UID, "" },
		{ "/kubepods/besteffort/pod" UID "/crio-" ID64, ID64, "cri-o", UID, "" },
		{ "/kubepods/pod" UID "/" ID64, ID64, "", UID, "" },
		{ "/containerd/" ID64, ID64, "containerd", "", "" },
		{ "/k8s.io/" ID64, ID64, "containerd", "", "" },
		{ "/libpod_parent/libpod-" ID64, ID64, "podman", "", "" },
		/* docker in docker: the inner container */
		{ "/docker/" ID64 "/docker/0000000000000000000000000000000000000000000000000000000000000001",
		  "0000000000000000000000000000000000000000000000000000000000000001", "docker", "", "" },
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check(&shapes[i]);
}

Test(container, systemd_units)
{
	const struct shape shapes[] = {
		{ "/", "", "", "", "" },
		{ "/system.slice/sshd.service", "", "", "", "sshd.service" },
		{ "/user.slice/user-1000.slice/session-3.scope", "", "", "", "session-3.scope" },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope", "", "", "",
		  "app-firefox.scope" },
		{ "/system.slice/docker-" ID64 ".scope/system.slice/nginx.service", ID64, "docker", "", "nginx.service" },
		{ "/system.slice", "", "", "", "" },
		{ "//system.slice//cron.service/", "", "", "", "cron.service" },
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check(&shapes[i]);
}

/* Ids that are not a runtime's: cut short, too long, not hex, upper case;
 * a pod UID with a bad shape; pod<uid> outside kubepods. */
Test(container, bad_ids_are_not_containers)
{
	const struct shape shapes[] = {
		{ "/system.slice/docker-3f1c2a9b8d7e.scope", "", "", "", "docker-3f1c2a9b8d7e.scope" },
		{ "/system.slice/docker-" ID64 "0.scope", "", "", "", "docker-" ID64 "0.scope" },
		{ "/docker/3f1c2a9b8d7e", "", "", "", "" },
		{ "/docker/" ID64 "x", "", "", "", "" },
		{ "/docker/zf1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a", "", "", "", "" },
		{ "/docker/3F1C2A9B8D7E6F5A4B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E2F1A", "", "", "", "" },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b4e28ba_2fa1.slice", "", "", "", "" },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID ".slice", "", "", UID, "" },
		{ "/kubepods/burstable/pod1b4e28ba-2fa1-11d2-883f-0016d3cca42g/" ID64, ID64, "", "", "" },
		{ "/kubepods/burstable/pod1b4e28ba-2fa1-11d2-883f0-016d3cca427/" ID64, ID64, "", "", "" },
		{ "/system.slice/pod" UID "/" ID64, ID64, "", "", "" },
		{ "/other.slice/other-pod" UID_ ".slice", "", "", "", "" },
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check(&shapes[i]);
}

Test(container, bad_paths)
{
	struct td_identity id;
	static char long_path[TD_CGROUP_PATH_MAX + 16], long_name[300];

	cr_assert_eq(td_identity_parse(NULL, &id), -EINVAL);
	cr_assert_eq(td_identity_parse("", &id), -EINVAL);
	cr_assert_eq(td_identity_parse("system.slice/docker-" ID64 ".scope", &id), -EINVAL);
	cr_assert_str_eq(id.container, "");
	for (size_t i = 0; i + 1 < sizeof(long_path); i += 2)
		memcpy(long_path + i, "/a", 2);
	cr_assert_eq(td_identity_parse(long_path, &id), -EINVAL, "a path over PATH_MAX");
	long_path[TD_CGROUP_PATH_MAX - 1] = '\0';
	cr_assert_eq(td_identity_parse(long_path, &id), 0, "a path just under PATH_MAX");
	long_name[0] = '/';
	memset(long_name + 1, 'a', 280);
	memcpy(long_name + 281 - 6, ".scope", 7);
	cr_assert_eq(td_identity_parse(long_name, &id), -EINVAL, "a component over 255 bytes");
	cr_assert_str_eq(id.unit, "");
	cr_assert_str_eq(id.runtime, "");
}

Test(container, short_form)
{
	struct td_identity id;
	char buf[64];

	td_identity_parse("/kubepods/burstable/pod" UID "/" ID64, &id);
	cr_assert_str_eq(td_identity_short(&id, buf, sizeof(buf)), "3f1c2a9b8d7e");
	td_identity_parse("/kubepods.slice/kubepods-pod" UID_ ".slice", &id);
	cr_assert_str_eq(td_identity_short(&id, buf, sizeof(buf)), "pod/" UID);
	td_identity_parse("/system.slice/sshd.service", &id);
	cr_assert_str_eq(td_identity_short(&id, buf, sizeof(buf)), "sshd.service");
	td_identity_parse("/", &id);
	cr_assert_str_eq(td_identity_short(&id, buf, sizeof(buf)), "-");
}

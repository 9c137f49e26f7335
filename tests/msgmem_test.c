// SPDX-License-Identifier: GPL-2.0
/*
 * msgmem_test: the memory a queued message pins, and is charged for
 * (INFO's charged, the sender's max_bytes_per_user), keeps issue 12's
 * rule: below a page at most max(n + 128, 5n/4) bytes for n bytes, header
 * included; from a page on, n rounded up to pages plus one small header.
 * The charge is at least what the payload needs, and at least
 * msg_overhead.  Payloads of every layout (inline, pages, a page vector
 * kept apart) come back intact through split buffers, and a receive that
 * faults half-way through a paged message consumes nothing.  The same
 * memory is charged to the sender's memory cgroup, within the rule.
 */
#include <sys/mount.h>
#include <sys/uio.h>

#include "kmbox_test.h"

/* Every length from 0 to SWEEP, so that each class boundary is crossed. */
#define SWEEP		(2 * 4096 + 64)

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static __u64 bound_below_page(__u64 n)
{
	return n + 128 > n + n / 4 ? n + 128 : n + n / 4;
}

/*
 * The header of a paged message of np pages holds the vector of pages:
 * 8 bytes a page, within the rule's slack, or apart for very long ones,
 * in a power-of-two number of pages.
 */
static __u64 paged_header_max(__u64 np)
{
	__u64 vec = 8 * np, apart = page_size();

	if (bound_below_page(vec + 8) <= 4096)
		return bound_below_page(vec + 8);
	while (apart < vec)
		apart *= 2;
	return apart + 128;
}

/* Checks the charge of n bytes against the rule; 0 if kept. */
static int check_charge(struct __test_metadata *_metadata, __u64 n,
			__u64 charge, __u64 overhead)
{
	__u64 ps = page_size(), np = (n + ps - 1) / ps;

	if (charge < n || charge < overhead) {
		TH_LOG("%llu bytes charged %llu: less than it holds",
		       (unsigned long long)n, (unsigned long long)charge);
		return -1;
	}
	if (n < ps ? charge > bound_below_page(n) :
		     charge < np * ps || charge > np * ps + paged_header_max(np)) {
		TH_LOG("%llu bytes charged %llu: outside the rule",
		       (unsigned long long)n, (unsigned long long)charge);
		return -1;
	}
	return 0;
}

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 131 + seed + (i >> 12));
}

/* Every length up to SWEEP, queued one at a time: INFO's charged. */
TEST(charge_sweep)
{
	struct kmbox_limits lim;
	struct kmbox_info info;
	static unsigned char buf[SWEEP];
	__u64 n, prev = 0;
	int fd;

	ASSERT_EQ(0, kt_limits(&lim));
	ASSERT_NE(0ULL, lim.features & KMBOX_FEATURE_CHARGED);
	ASSERT_LE((__u64)SWEEP, lim.max_msg_size);
	fd = kt_create(NULL, KMBOX_CAPACITY_UNBOUNDED, SWEEP, 0600,
		       KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	for (n = 0; n <= SWEEP; n++) {
		ASSERT_EQ(0, kt_send(fd, buf, n, 0, 0));
		ASSERT_EQ(0, kt_info(fd, &info));
		ASSERT_EQ(0, check_charge(_metadata, n, info.charged,
					  lim.msg_overhead));
		if (!n)
			EXPECT_EQ(lim.msg_overhead, info.charged);
		/* Never less for a longer message. */
		ASSERT_LE(prev, info.charged);
		prev = info.charged;
		ASSERT_EQ((int)n, kt_recv(fd, buf, sizeof(buf), 0, 0, NULL));
		ASSERT_EQ(0ULL, KT_INFO_FIELD(fd, charged));
	}
	close(fd);
}

/*
 * Sizes around the boundaries and beyond a page, many queued at once: the
 * mailbox's charge is their sum, the rule holds for each, and it is all
 * given back by receiving or destroying.
 */
TEST(charge_queued)
{
	static const __u64 sizes[] = {
		0, 1, 64, 65, 257, 2049, 3379, 3380, 4000, 4095, 4096, 4097,
		65536, 1 << 20,
	};
	const int copies = 8;
	struct kmbox_limits lim;
	struct kmbox_info info;
	__u64 sum = 0, one;
	unsigned char *buf;
	size_t i;
	int fd, c;

	ASSERT_EQ(0, kt_limits(&lim));
	ASSERT_LE(1ULL << 20, lim.max_msg_size);
	buf = calloc(1, 1 << 20);
	ASSERT_NE(NULL, buf);
	fd = kt_create(NULL, KMBOX_CAPACITY_UNBOUNDED, 1 << 20, 0600,
		       KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ASSERT_EQ(0, kt_msg_charge(sizes[i], &one));
		ASSERT_EQ(0, check_charge(_metadata, sizes[i], one,
					  lim.msg_overhead));
		for (c = 0; c < copies; c++)
			ASSERT_EQ(0, kt_send(fd, buf, sizes[i], 0, 0));
		sum += copies * one;
		ASSERT_EQ(0, kt_info(fd, &info));
		ASSERT_EQ(sum, info.charged);
	}
	/* Half received, the rest dropped by DESTROY. */
	for (i = 0; i < ARRAY_SIZE(sizes) / 2; i++) {
		ASSERT_EQ(0, kt_msg_charge(sizes[i], &one));
		for (c = 0; c < copies; c++)
			ASSERT_EQ((int)sizes[i], kt_recv(fd, buf, 1 << 20, 0, 0,
							 NULL));
		sum -= copies * one;
		ASSERT_EQ(sum, KT_INFO_FIELD(fd, charged));
	}
	ASSERT_EQ(0, kt_destroy(fd));
	EXPECT_EQ(0ULL, KT_INFO_FIELD(fd, charged));
	close(fd);
	free(buf);
}

/*
 * The quota is charged exactly INFO's charge: a quota of k charges of a
 * 257-byte message (which a power-of-two allocation would pin 512 bytes
 * for) takes exactly k of them, then ENOBUFS.
 */
TEST(quota_counts_the_charge)
{
	const int k = 40;
	unsigned long long saved;
	__u64 charge;
	char buf[257] = "";
	pid_t pid;
	int fd, i;

	ASSERT_EQ(0, kt_msg_charge(sizeof(buf), &charge));
	ASSERT_GE(bound_below_page(sizeof(buf)), charge);
	ASSERT_EQ(0, kt_param_get("max_bytes_per_user", &saved));
	fd = kt_create(NULL, KMBOX_CAPACITY_UNBOUNDED, 0, 0666,
		       KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_param_set("max_bytes_per_user", k * charge + charge - 1));
	/* A user of its own, so that nothing else of root's counts. */
	pid = tc_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		TC_CHECK_EQ(0, setresuid(60011, 60011, 60011));
		for (i = 0; i < k; i++)
			TC_CHECK_EQ(0, kt_send(fd, buf, sizeof(buf),
					       KMBOX_MSG_NONBLOCK, 0));
		TC_CHECK_EQ(-ENOBUFS, kt_send(fd, buf, sizeof(buf),
					      KMBOX_MSG_NONBLOCK, 0));
		_exit(0);
	}
	EXPECT_EQ(0, tc_wait(pid));
	EXPECT_EQ((__u64)k * charge, KT_INFO_FIELD(fd, charged));
	close(fd);
	EXPECT_EQ(0, kt_param_set("max_bytes_per_user", saved));
}

/* Payloads come back intact through buffers split at odd places. */
TEST(payload_layouts_intact)
{
	static const size_t sizes[] = {
		1, 3379, 3380, 4095, 4096, 4097, 3 * 4096 + 5, 65536 + 3,
		(1 << 20) - 1, 1 << 20, (2 << 20) + 1, 4 << 20,
	};
	unsigned char *in, *out;
	unsigned long long saved;
	struct iovec iov[3];
	size_t i, a, b;
	int fd;

	ASSERT_EQ(0, kt_param_get("max_msg_size", &saved));
	/* Past 1.6 MiB the vector of pages is kept apart from the header. */
	ASSERT_EQ(0, kt_param_set("max_msg_size", 4 << 20));
	in = malloc(4 << 20);
	out = malloc(4 << 20);
	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	fd = kt_create(NULL, 4, 4 << 20, 0600, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fill(in, sizes[i], (unsigned int)i);
		ASSERT_EQ((ssize_t)sizes[i], write(fd, in, sizes[i]));
		memset(out, 0, sizes[i]);
		a = sizes[i] / 3 + 1;
		b = sizes[i] / 2;
		if (a + b > sizes[i])
			a = b = 0;
		iov[0] = (struct iovec){ out, a };
		iov[1] = (struct iovec){ out + a, b };
		iov[2] = (struct iovec){ out + a + b, sizes[i] - a - b };
		ASSERT_EQ((ssize_t)sizes[i], readv(fd, iov, 3));
		ASSERT_EQ(0, memcmp(in, out, sizes[i])) {
			TH_LOG("%zu bytes came back different", sizes[i]);
		}
	}
	close(fd);
	free(in);
	free(out);
	EXPECT_EQ(0, kt_param_set("max_msg_size", saved));
}

/*
 * A receive whose buffer ends in an unmapped page half-way through a paged
 * message fails with EFAULT and consumes nothing: it comes back whole.
 */
TEST(paged_fault_consumes_nothing)
{
	size_t ps = page_size(), len = 3 * ps + 100;
	unsigned char *in, *map;
	int fd;

	in = malloc(len);
	ASSERT_NE(NULL, in);
	fill(in, len, 7);
	map = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + 2 * ps, ps));
	fd = kt_create(NULL, 4, (__u32)len, 0600, KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_send(fd, in, len, 0, 0));
	EXPECT_EQ(-EFAULT, kt_recv(fd, map, len, 0, 0, NULL));
	EXPECT_EQ(1ULL, KT_INFO_FIELD(fd, msgs));
	ASSERT_EQ(0, munmap(map, 4 * ps));
	map = malloc(len);
	ASSERT_NE(NULL, map);
	EXPECT_EQ((int)len, kt_recv(fd, map, len, KMBOX_MSG_NONBLOCK, 0, NULL));
	EXPECT_EQ(0, memcmp(in, map, len));
	close(fd);
	free(in);
	free(map);
}

/* ---- the sender's memory cgroup ---------------------------------------- */

#define CG_MNT	"/tmp/kmbox-msgmem-cg"

static int cg_write(const char *dir, const char *file, const char *text)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static long long cg_read(const char *dir, const char *file)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

FIXTURE(memcg) {
	char root[128];
	char cg[192];
	int mounted;
};

FIXTURE_VARIANT(memcg) {
	size_t len;
	int count;
};

/* Paged: an order-5 allocation each before, twice the memory. */
FIXTURE_VARIANT_ADD(memcg, pages_64k) { .len = 65536, .count = 128 };
/* A size class: kmalloc-4k before, 1.6 times the rule's bound. */
FIXTURE_VARIANT_ADD(memcg, class_2049) { .len = 2049, .count = 2048 };

FIXTURE_SETUP(memcg)
{
	char ctl[256] = "";
	FILE *f;

	snprintf(self->root, sizeof(self->root), "/sys/fs/cgroup");
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK)) {
		mkdir(CG_MNT, 0700);
		if (mount("none", CG_MNT, "cgroup2", 0, NULL))
			TC_SKIP("no cgroup2: %s", strerror(errno));
		self->mounted = 1;
		snprintf(self->root, sizeof(self->root), CG_MNT);
	}
	snprintf(ctl, sizeof(ctl), "%s/cgroup.controllers", self->root);
	f = fopen(ctl, "re");
	ASSERT_NE(NULL, f);
	if (!fgets(ctl, sizeof(ctl), f))
		ctl[0] = '\0';
	fclose(f);
	if (!strstr(ctl, "memory"))
		TC_SKIP("no memory controller");
	ASSERT_EQ(0, cg_write(self->root, "cgroup.subtree_control", "+memory"));
	snprintf(self->cg, sizeof(self->cg), "%s/kmbox-msgmem-%d", self->root,
		 (int)getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));
}

FIXTURE_TEARDOWN(memcg)
{
	int i;

	if (self->cg[0])
		for (i = 0; i < 100 && rmdir(self->cg) && errno == EBUSY; i++)
			usleep(10000);
	if (self->mounted) {
		umount(CG_MNT);
		rmdir(CG_MNT);
	}
}

/*
 * A sender in a memory cgroup of its own queues count messages: its
 * cgroup is charged at least their payload (the memory is accounted to
 * it) and at most what the rule lets them pin, plus the cgroup's per-CPU
 * charge batches (64 pages a CPU).
 */
TEST_F(memcg, sender_charged_what_is_pinned)
{
	__u64 ps = page_size(), per_msg, most;
	long long before = -1, after = -1;
	int fd, rep[2], go[2], i;
	char pid[32], c;
	unsigned char *buf;
	pid_t child;

	per_msg = variant->len < ps ? bound_below_page(variant->len) :
		  (variant->len + ps - 1) / ps * ps +
		  paged_header_max((variant->len + ps - 1) / ps);
	fd = kt_create(NULL, KMBOX_CAPACITY_UNBOUNDED, (__u32)variant->len, 0600,
		       KMBOX_ACCESS_ALL, 0, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(rep));
	ASSERT_EQ(0, pipe(go));
	child = tc_fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		buf = calloc(1, variant->len);
		TC_CHECK(buf != NULL);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		TC_CHECK_EQ(0, cg_write(self->cg, "cgroup.procs", pid));
		before = cg_read(self->cg, "memory.current");
		for (i = 0; i < variant->count; i++)
			TC_CHECK_EQ(0, kt_send(fd, buf, variant->len,
					       KMBOX_MSG_NONBLOCK, 0));
		after = cg_read(self->cg, "memory.current");
		TC_CHECK_EQ((ssize_t)sizeof(before),
			    write(rep[1], &before, sizeof(before)));
		TC_CHECK_EQ((ssize_t)sizeof(after),
			    write(rep[1], &after, sizeof(after)));
		/* Stay in the cgroup until the parent has looked. */
		TC_CHECK_EQ(1, read(go[0], &c, 1));
		_exit(0);
	}
	ASSERT_EQ((ssize_t)sizeof(before), read(rep[0], &before, sizeof(before)));
	ASSERT_EQ((ssize_t)sizeof(after), read(rep[0], &after, sizeof(after)));
	EXPECT_EQ(1, write(go[1], "x", 1));
	EXPECT_EQ(0, tc_wait(child));
	EXPECT_EQ((__u64)variant->count, KT_INFO_FIELD(fd, msgs));
	close(fd);
	ASSERT_LE(0, before);
	ASSERT_LE(before, after);
	most = variant->count * per_msg + 64 * ps * sysconf(_SC_NPROCESSORS_ONLN) +
	       (1 << 20);
	TH_LOG("%d messages of %zu bytes: the cgroup grew by %lld bytes (rule: %llu)",
	       variant->count, variant->len, after - before,
	       (unsigned long long)(variant->count * per_msg));
	EXPECT_LE((__u64)variant->count * variant->len, (__u64)(after - before));
	EXPECT_GE(most, (__u64)(after - before));
	close(rep[0]);
	close(rep[1]);
	close(go[0]);
	close(go[1]);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * devinit: the init of the Linux device tests (Documentation/testing.rst,
 * "Linux on pvmx's back ends").  A static i386 program on an ext2 image that
 * a 32-bit Linux PV guest mounts as its root from pvmx's block back end
 * (root=/dev/xvda rw rdinit=/nonexistent init=/devinit).  The mode comes
 * from the kernel command line, devtest=MODE:
 *
 *   write   write DATA_FILE (a known pattern), fsync, sync, read it back with
 *           O_DIRECT (so from the back end, not the page cache), power off
 *   verify  on the next boot: DATA_FILE is there with the pattern
 *   ro      the disk is read-only: root is mounted read-only, creating a
 *           file fails with EROFS, BLKROGET on /dev/xvda says 1, a write to
 *           it fails; DATA_FILE still reads back
 *   bench   O_DIRECT throughput: sequential reads of the raw disk and
 *           sequential writes of a file (MB/s), random 4 KiB reads and
 *           writes (IOPS), the request counts of /sys/block/xvda/stat
 *   net     the network front end: lo and eth0 up, eth0 10.0.2.15/24 (by
 *           ioctl), a ping of the peer 10.0.2.1 on a raw ICMP socket, then
 *           NET_FRAMES (netframes=N on the command line) echo requests of
 *           NET_PAYLOAD patterned bytes, NET_WINDOW in flight, each reply's
 *           payload checked; frames, bytes and Mb/s on the guest's clock
 *
 * It prints "DEVINIT: <mode> PASS" or "DEVINIT: <mode> FAIL: <why>" and
 * powers the guest off either way (the harness judges the line).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define DATA_FILE	"/data/pattern.bin"
#define DATA_SIZE	(1024 * 1024)
#define BENCH_FILE	"/data/bench.bin"
#define DISK		"/dev/xvda"
#define ALIGN		4096

static char mode[32];
static char cmdline[1024];

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (write(1, buf, (size_t)n) < 0) {
		int fd = open("/dev/kmsg", O_WRONLY);

		if (fd >= 0) {
			if (write(fd, buf, (size_t)n) < 0)
				n = 0;
			close(fd);
		}
	}
}

static void __attribute__((noreturn)) finish(int ok, const char *why)
{
	if (ok)
		say("DEVINIT: %s PASS\n", mode);
	else
		say("DEVINIT: %s FAIL: %s\n", mode, why);
	sync();
	reboot(RB_POWER_OFF);
	say("DEVINIT: reboot(RB_POWER_OFF) returned: %s\n", strerror(errno));
	for (;;)
		pause();
}

static char why[256];

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -1;
}

/* The pattern's 32-bit word at byte offset off (a multiple of 4). */
static uint32_t pattern_word(uint32_t off)
{
	uint32_t x = off * 2654435761u + 0x9e3779b9u;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x;
}

static void fill_pattern(uint8_t *buf, uint32_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 4) {
		uint32_t w = pattern_word(off + (uint32_t)i);

		memcpy(buf + i, &w, 4);
	}
}

/* The first byte offset where buf differs from the pattern, or -1. */
static long check_pattern(const uint8_t *buf, uint32_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 4) {
		uint32_t w = pattern_word(off + (uint32_t)i);

		if (memcmp(buf + i, &w, 4))
			return (long)(off + i);
	}
	return -1;
}

static void *abuf(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, ALIGN, len))
		return NULL;
	return p;
}

static int full_write(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int full_pread(int fd, uint8_t *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Read DATA_FILE (O_DIRECT if direct) and compare it with the pattern. */
static int verify_file(int direct)
{
	uint8_t *buf = abuf(DATA_SIZE);
	struct stat st;
	long bad;
	int fd;

	if (!buf)
		return fail("out of memory");
	fd = open(DATA_FILE, O_RDONLY | (direct ? O_DIRECT : 0));
	if (fd < 0)
		return fail("open %s%s: %s", DATA_FILE, direct ? " O_DIRECT" : "",
			    strerror(errno));
	if (fstat(fd, &st) || st.st_size != DATA_SIZE) {
		close(fd);
		return fail("%s is %lld bytes, want %d", DATA_FILE, (long long)st.st_size,
			    DATA_SIZE);
	}
	if (full_pread(fd, buf, DATA_SIZE, 0)) {
		close(fd);
		return fail("read %s: %s", DATA_FILE, strerror(errno));
	}
	close(fd);
	bad = check_pattern(buf, 0, DATA_SIZE);
	free(buf);
	if (bad >= 0)
		return fail("%s differs from the pattern at byte %ld", DATA_FILE, bad);
	return 0;
}

static int do_write(void)
{
	/* Odd chunk sizes: requests that start and end inside pages. */
	static const size_t chunk[] = { 512, 4096 * 3 + 1536, 65536, 1000 * 4, 131072 };
	uint8_t *buf = abuf(DATA_SIZE);
	size_t done = 0, i = 0;
	int fd;

	if (!buf)
		return fail("out of memory");
	fill_pattern(buf, 0, DATA_SIZE);
	if (mkdir("/data", 0755) && errno != EEXIST)
		return fail("mkdir /data: %s", strerror(errno));
	unlink(DATA_FILE);
	fd = open(DATA_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("create %s: %s", DATA_FILE, strerror(errno));
	while (done < DATA_SIZE) {
		size_t n = chunk[i++ % (sizeof(chunk) / sizeof(chunk[0]))];

		if (n > DATA_SIZE - done)
			n = DATA_SIZE - done;
		if (full_write(fd, buf + done, n)) {
			close(fd);
			return fail("write %s at %zu: %s", DATA_FILE, done, strerror(errno));
		}
		done += n;
	}
	if (fsync(fd)) {
		close(fd);
		return fail("fsync %s: %s", DATA_FILE, strerror(errno));
	}
	close(fd);
	free(buf);
	sync();
	say("DEVINIT: wrote %d bytes to %s, fsync and sync done\n", DATA_SIZE, DATA_FILE);
	/* O_DIRECT reads come from the disk, not from the page cache. */
	if (verify_file(1))
		return -1;
	say("DEVINIT: %s read back with O_DIRECT matches\n", DATA_FILE);
	return 0;
}

static int do_verify(void)
{
	if (verify_file(0))
		return -1;
	say("DEVINIT: %s has the pattern written by the previous boot\n", DATA_FILE);
	return 0;
}

static int root_mounted_ro(void)
{
	char line[256];
	FILE *f = fopen("/proc/mounts", "r");
	int ro = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char dev[64], dir[64], type[32], opts[128];

		if (sscanf(line, "%63s %63s %31s %127s", dev, dir, type, opts) == 4 &&
		    !strcmp(dir, "/") && strcmp(type, "rootfs")) {
			ro = !strncmp(opts, "ro", 2) && (opts[2] == ',' || !opts[2]);
			say("DEVINIT: / is %s %s %s\n", dev, type, opts);
		}
	}
	fclose(f);
	return ro;
}

static int do_ro(void)
{
	unsigned long long size = 0;
	uint8_t *buf = abuf(4096);
	int fd, ro = 0, err;
	ssize_t n;

	if (!buf)
		return fail("out of memory");
	if (root_mounted_ro() != 1)
		return fail("/ is not mounted read-only (/proc/mounts)");
	fd = open("/data/ro-test", O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		return fail("creating /data/ro-test on a read-only disk succeeded");
	if (errno != EROFS)
		return fail("creating /data/ro-test: %s, want EROFS", strerror(errno));
	fd = open(DISK, O_RDONLY);
	if (fd < 0)
		return fail("open %s: %s", DISK, strerror(errno));
	if (ioctl(fd, BLKROGET, &ro) || ro != 1 || ioctl(fd, BLKGETSIZE64, &size) ||
	    size < 8192) {
		close(fd);
		return fail("BLKROGET on %s: %d, size %llu (%s), want 1", DISK, ro, size,
			    strerror(errno));
	}
	close(fd);
	/*
	 * 4.19's blkdev_open() lets a read-only disk be opened for writing; the
	 * write itself must fail (blkdev_write_iter(): EPERM).  O_DIRECT, so a
	 * write the kernel let through would reach the back end; its last
	 * 4 KiB, outside the file system's data.
	 */
	memset(buf, 0xa5, 4096);
	fd = open(DISK, O_WRONLY | O_DIRECT);
	if (fd >= 0) {
		n = pwrite(fd, buf, 4096, (off_t)(size - 4096));
		err = errno;
		close(fd);
		if (n >= 0)
			return fail("a write to read-only %s returned %zd", DISK, n);
		say("DEVINIT: writes refused: create EROFS, BLKROGET 1, write to %s: %s\n",
		    DISK, strerror(err));
	} else {
		say("DEVINIT: writes refused: create EROFS, BLKROGET 1, open(%s, O_WRONLY): %s\n",
		    DISK, strerror(errno));
	}
	free(buf);
	if (verify_file(1))
		return -1;
	say("DEVINIT: %s still reads back with O_DIRECT\n", DATA_FILE);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads and writes completed on xvda (/sys/block/xvda/stat fields 1 and 5). */
static void disk_stat(unsigned long *rd, unsigned long *wr)
{
	unsigned long v[5] = { 0 };
	FILE *f = fopen("/sys/block/xvda/stat", "r");

	if (f) {
		if (fscanf(f, "%lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3], &v[4]) != 5)
			v[0] = v[4] = 0;
		fclose(f);
	}
	*rd = v[0];
	*wr = v[4];
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void report(const char *what, double secs, size_t bytes, unsigned long ops,
		   unsigned long rq)
{
	if (secs <= 0)
		secs = 1e-6;
	say("DEVINIT: bench %s: %zu bytes in %.3f s: %.2f MB/s, %.0f IOPS, %lu requests\n",
	    what, bytes, secs, (double)bytes / secs / 1e6, (double)ops / secs, rq);
}

#define SEQ_CHUNK	(64 * 1024)
#define BENCH_SIZE	(4 * 1024 * 1024)
#define RAND_OPS	256

static int do_bench(void)
{
	uint8_t *buf = abuf(SEQ_CHUNK);
	unsigned long r0, w0, r1, w1;
	unsigned long long disk = 0;
	size_t bytes, nblk;
	double t;
	long i;
	int fd;

	if (!buf)
		return fail("out of memory");
	fd = open(DISK, O_RDONLY | O_DIRECT);
	if (fd < 0)
		return fail("open %s O_DIRECT: %s", DISK, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &disk) || disk < SEQ_CHUNK) {
		close(fd);
		return fail("BLKGETSIZE64 on %s: %llu", DISK, disk);
	}
	/* Sequential reads of the whole raw disk. */
	disk_stat(&r0, &w0);
	t = now_s();
	for (bytes = 0; bytes + SEQ_CHUNK <= disk; bytes += SEQ_CHUNK)
		if (full_pread(fd, buf, SEQ_CHUNK, (off_t)bytes)) {
			close(fd);
			return fail("read %s at %zu: %s", DISK, bytes, strerror(errno));
		}
	t = now_s() - t;
	disk_stat(&r1, &w1);
	report("seq-read 64k raw", t, bytes, bytes / SEQ_CHUNK, r1 - r0);
	/* Random 4 KiB reads of the raw disk. */
	nblk = disk / 4096;
	disk_stat(&r0, &w0);
	t = now_s();
	for (i = 0; i < RAND_OPS; i++)
		if (full_pread(fd, buf, 4096, (off_t)(rnd() % nblk) * 4096)) {
			close(fd);
			return fail("random read %s: %s", DISK, strerror(errno));
		}
	t = now_s() - t;
	disk_stat(&r1, &w1);
	report("rand-read 4k raw", t, (size_t)RAND_OPS * 4096, RAND_OPS, r1 - r0);
	close(fd);

	/* Sequential writes of a file, then random 4 KiB writes into it. */
	fill_pattern(buf, 0, SEQ_CHUNK);
	unlink(BENCH_FILE);
	fd = open(BENCH_FILE, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	if (fd < 0)
		return fail("create %s O_DIRECT: %s", BENCH_FILE, strerror(errno));
	disk_stat(&r0, &w0);
	t = now_s();
	for (bytes = 0; bytes < BENCH_SIZE; bytes += SEQ_CHUNK)
		if (full_write(fd, buf, SEQ_CHUNK)) {
			close(fd);
			return fail("write %s at %zu: %s", BENCH_FILE, bytes, strerror(errno));
		}
	if (fsync(fd)) {
		close(fd);
		return fail("fsync %s: %s", BENCH_FILE, strerror(errno));
	}
	t = now_s() - t;
	disk_stat(&r1, &w1);
	report("seq-write 64k file", t, bytes, bytes / SEQ_CHUNK, w1 - w0);
	disk_stat(&r0, &w0);
	t = now_s();
	for (i = 0; i < RAND_OPS; i++) {
		off_t off = (off_t)(rnd() % (BENCH_SIZE / 4096)) * 4096;

		if (pwrite(fd, buf, 4096, off) != 4096) {
			close(fd);
			return fail("random write %s: %s", BENCH_FILE, strerror(errno));
		}
	}
	if (fsync(fd)) {
		close(fd);
		return fail("fsync %s: %s", BENCH_FILE, strerror(errno));
	}
	t = now_s() - t;
	disk_stat(&r1, &w1);
	report("rand-write 4k file", t, (size_t)RAND_OPS * 4096, RAND_OPS, w1 - w0);
	close(fd);
	unlink(BENCH_FILE);
	free(buf);
	disk_stat(&r1, &w1);
	say("DEVINIT: bench xvda totals: %lu reads, %lu writes completed\n", r1, w1);
	return 0;
}

/* ---- devtest=net ------------------------------------------------------- */

#define NET_IF		"eth0"
#define NET_ADDR	"10.0.2.15"
#define NET_MASK	"255.255.255.0"
#define NET_PEER	"10.0.2.1"
#define NET_FRAMES	500
#define NET_MAX_FRAMES	65535	/* 16-bit sequence numbers */
#define NET_PAYLOAD	1400
#define NET_WINDOW	8
#define NET_WAIT_MS	5000	/* for a reply, before the window is sent again */
#define NET_TRIES	3	/* sends of one request at most */
#define NET_ID		0x7064	/* the transfer's echo identifier */
#define NET_PING_ID	0x7065	/* the first ping's */

/* The value of NAME=N on the kernel command line, else def. */
static long cmdline_num(const char *name, long def)
{
	size_t n = strlen(name);
	const char *p = cmdline;

	while ((p = strstr(p, name))) {
		if ((p == cmdline || p[-1] == ' ') && p[n] == '=')
			return strtol(p + n + 1, NULL, 10);
		p += n;
	}
	return def;
}

static int if_set_addr(int s, const char *ifname, unsigned long req, const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ioctl(s, req, &ifr);
}

/* Bring ifname up; eth0 may still be probing: wait up to 10 s for it. */
static int if_up(int s, const char *ifname)
{
	struct ifreq ifr;
	int i;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	for (i = 0; ioctl(s, SIOCGIFFLAGS, &ifr); i++) {
		if (errno != ENODEV || i >= 100)
			return fail("SIOCGIFFLAGS %s: %s", ifname, strerror(errno));
		usleep(100000);
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		return fail("SIOCSIFFLAGS %s up: %s", ifname, strerror(errno));
	return 0;
}

static uint16_t ip_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int net_send(int s, const struct sockaddr_in *to, uint16_t id, uint16_t seq, size_t len)
{
	static uint8_t pkt[sizeof(struct icmphdr) + NET_PAYLOAD];
	struct icmphdr *h = (struct icmphdr *)pkt;

	memset(h, 0, sizeof(*h));
	h->type = ICMP_ECHO;
	h->un.echo.id = htons(id);
	h->un.echo.sequence = htons(seq);
	/* Each sequence number its own stretch of the pattern. */
	fill_pattern(pkt + sizeof(*h), (uint32_t)seq * NET_PAYLOAD, len);
	h->checksum = ip_csum(pkt, sizeof(*h) + len);
	if (sendto(s, pkt, sizeof(*h) + len, 0, (const struct sockaddr *)to,
		   sizeof(*to)) != (ssize_t)(sizeof(*h) + len))
		return fail("sendto %s seq %u: %s", NET_PEER, seq, strerror(errno));
	return 0;
}

/*
 * The next echo reply with identifier id within ms: its sequence number, -1 on
 * timeout, -2 on a failure (why says what).  A raw ICMP socket gets each
 * datagram with its IP header.
 */
static int net_recv(int s, uint16_t id, int ms, size_t len)
{
	static uint8_t pkt[2048];
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	struct icmphdr *h;
	size_t ihl;
	ssize_t n;
	long bad;
	int seq;

	for (;;) {
		int r = poll(&pfd, 1, ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail("poll: %s", strerror(errno)), -2;
		if (r == 0)
			return -1;
		n = recv(s, pkt, sizeof(pkt), 0);
		if (n < 0)
			return fail("recv: %s", strerror(errno)), -2;
		if (n < 20)
			continue;
		ihl = (size_t)(pkt[0] & 15) * 4;
		if ((size_t)n < ihl + sizeof(*h))
			continue;
		h = (struct icmphdr *)(pkt + ihl);
		if (h->type != ICMP_ECHOREPLY || ntohs(h->un.echo.id) != id)
			continue;
		seq = ntohs(h->un.echo.sequence);
		if ((size_t)n - ihl - sizeof(*h) != len)
			return fail("echo reply seq %d: %zd payload bytes, want %zu", seq,
				    n - (ssize_t)(ihl + sizeof(*h)), len), -2;
		if (ip_csum(h, (size_t)n - ihl))
			return fail("echo reply seq %d: bad ICMP checksum", seq), -2;
		bad = check_pattern(pkt + ihl + sizeof(*h), (uint32_t)seq * NET_PAYLOAD, len);
		if (bad >= 0)
			return fail("echo reply seq %d: payload differs at byte %ld", seq,
				    bad - (long)seq * NET_PAYLOAD), -2;
		return seq;
	}
}

/* eth0's counter NAME from sysfs, or 0. */
static unsigned long long if_stat(const char *name)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/" NET_IF "/statistics/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static int do_net(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	long frames = cmdline_num("netframes", NET_FRAMES);
	unsigned long long rxp0, txp0;
	uint8_t *tries, *got;
	long next = 0, done = 0, retries = 0, i;
	double t, t0;
	int s, r, seq;

	if (frames < 1 || frames > NET_MAX_FRAMES)
		return fail("netframes=%ld: want 1..%d", frames, NET_MAX_FRAMES);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return fail("socket(AF_INET): %s", strerror(errno));
	if (if_up(s, "lo") || if_set_addr(s, NET_IF, SIOCSIFADDR, NET_ADDR) ||
	    if_set_addr(s, NET_IF, SIOCSIFNETMASK, NET_MASK) || if_up(s, NET_IF)) {
		if (!why[0])
			fail("setting %s's address: %s", NET_IF, strerror(errno));
		close(s);
		return -1;
	}
	close(s);
	say("DEVINIT: %s up, %s netmask %s\n", NET_IF, NET_ADDR, NET_MASK);

	s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (s < 0)
		return fail("socket(SOCK_RAW, IPPROTO_ICMP): %s", strerror(errno));
	inet_pton(AF_INET, NET_PEER, &to.sin_addr);

	/* A first ping (ARP on the way), 56 bytes as ping's, a few tries. */
	for (i = 0; i < 5; i++) {
		t = now_s();
		if (net_send(s, &to, NET_PING_ID, (uint16_t)i, 56))
			return -1;
		r = net_recv(s, NET_PING_ID, 2000, 56);
		if (r == -2)
			return -1;
		if (r >= 0)
			break;
	}
	if (i == 5)
		return fail("no echo reply from %s to 5 pings", NET_PEER);
	say("DEVINIT: net: ping %s: reply in %.1f ms (try %ld)\n", NET_PEER,
	    (now_s() - t) * 1e3, i + 1);

	/* The transfer: sequence numbers 1..frames, NET_WINDOW in flight. */
	tries = calloc((size_t)frames + 1, 1);
	got = calloc((size_t)frames + 1, 1);
	if (!tries || !got)
		return fail("out of memory");
	rxp0 = if_stat("rx_packets");
	txp0 = if_stat("tx_packets");
	t0 = now_s();
	while (done < frames) {
		while (next < frames && next - done < NET_WINDOW) {
			/* next: the highest sequence number sent */
			next++;
			seq = (int)next;
			tries[seq] = 1;
			if (net_send(s, &to, NET_ID, (uint16_t)seq, NET_PAYLOAD))
				return -1;
		}
		r = net_recv(s, NET_ID, NET_WAIT_MS, NET_PAYLOAD);
		if (r == -2)
			return -1;
		if (r > 0 && r <= frames && tries[r]) {
			if (!got[r]) {
				got[r] = 1;
				done++;
			}
			continue;
		}
		if (r >= 0)
			continue;	/* an old sequence number: ignore it */
		/* A window without an answer: send the missing ones again. */
		for (i = 1; i <= next; i++) {
			if (got[i])
				continue;
			if (tries[i] >= NET_TRIES)
				return fail("seq %ld: no echo reply to %d sends (%ld of %ld answered)",
					    i, NET_TRIES, done, frames);
			tries[i]++;
			retries++;
			if (net_send(s, &to, NET_ID, (uint16_t)i, NET_PAYLOAD))
				return -1;
		}
	}
	t = now_s() - t0;
	if (t <= 0)
		t = 1e-6;
	close(s);
	say("DEVINIT: net: frames %ld each way, %ld payload bytes each way, %.3f s, %.2f Mb/s each way, %ld sent again\n",
	    frames, frames * NET_PAYLOAD, t, (double)frames * NET_PAYLOAD * 8 / t / 1e6, retries);
	say("DEVINIT: net: %s packets during the transfer: rx %llu, tx %llu\n", NET_IF,
	    if_stat("rx_packets") - rxp0, if_stat("tx_packets") - txp0);
	free(tries);
	free(got);
	return 0;
}

/* devtest=MODE from /proc/cmdline (else from init's environment). */
static void read_mode(void)
{
	char cmd[1024], *p;
	FILE *f = fopen("/proc/cmdline", "r");

	mode[0] = '\0';
	if (f) {
		if (fgets(cmd, sizeof(cmd), f)) {
			snprintf(cmdline, sizeof(cmdline), "%s", cmd);
			for (p = strtok(cmd, " \n"); p; p = strtok(NULL, " \n"))
				if (!strncmp(p, "devtest=", 8))
					snprintf(mode, sizeof(mode), "%s", p + 8);
		}
		fclose(f);
	}
	if (!mode[0] && getenv("devtest"))
		snprintf(mode, sizeof(mode), "%s", getenv("devtest"));
}

int main(void)
{
	int rc;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	read_mode();
	say("DEVINIT: init from the disk, pid %d, devtest=%s\n", (int)getpid(),
	    mode[0] ? mode : "(none)");
	if (!strcmp(mode, "write"))
		rc = do_write();
	else if (!strcmp(mode, "verify"))
		rc = do_verify();
	else if (!strcmp(mode, "ro"))
		rc = do_ro();
	else if (!strcmp(mode, "bench"))
		rc = do_bench();
	else if (!strcmp(mode, "net"))
		rc = do_net();
	else
		rc = fail("no devtest=write|verify|ro|bench|net on the command line");
	finish(rc == 0, why);
}

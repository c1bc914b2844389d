// SPDX-License-Identifier: GPL-2.0
/*
 * net_peer: a network peer for the netfront test guest where the VM has
 * no tap (a kernel without CONFIG_TUN or IPv4).  It runs the launcher
 * command given with its vif on two O_DIRECT pipes (packet mode: one frame
 * a write, one a read, as a tap) as descriptors 3 (frames to the guest)
 * and 4 (frames from it), for `--net fd=3:4`, and answers as host
 * 10.0.2.1 (MAC 02:00:00:00:00:01) would: ARP requests for its address,
 * ICMP echo requests to it (their IP and ICMP checksums checked first).
 * Everything else is counted and dropped.  Exits with the launcher's
 * status after printing its counts on stderr.
 *
 *   net_peer pvmx run --net fd=3:4 ... GUEST
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t peer_ip[4] = { 10, 0, 2, 1 };

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

static unsigned long frames_in, frames_out, bytes_in, bytes_out, arps, echoes, bad, other;

/* The answer to frame f (len bytes) in out, or 0. */
static size_t answer(const uint8_t *f, size_t len, uint8_t *out)
{
	const uint8_t *ip = f + 14;
	size_t tot, ihl;
	uint16_t c;

	if (len >= 42 && f[12] == 0x08 && f[13] == 0x06) {
		if (ip[7] != 1 || memcmp(ip + 24, peer_ip, 4))
			return 0;
		memcpy(out, f + 6, 6);
		memcpy(out + 6, peer_mac, 6);
		memcpy(out + 12, f + 12, 2);
		memcpy(out + 14, ip, 6);
		out[20] = 0;
		out[21] = 2;
		memcpy(out + 22, peer_mac, 6);
		memcpy(out + 28, peer_ip, 4);
		memcpy(out + 32, ip + 8, 10);	/* the asker's MAC and address */
		arps++;
		return 42;
	}
	if (len < 34 || f[12] != 0x08 || f[13] != 0x00 || memcmp(ip + 16, peer_ip, 4) ||
	    ip[9] != 1) {
		other++;
		return 0;
	}
	ihl = (size_t)(ip[0] & 0xF) * 4;
	tot = (size_t)ip[2] << 8 | ip[3];
	if (ihl != 20 || tot < 28 || 14 + tot > len || csum(ip, 20) ||
	    csum(ip + 20, tot - 20) || ip[20] != 8) {
		bad++;
		return 0;
	}
	memcpy(out, f, 14 + tot);
	memcpy(out, f + 6, 6);
	memcpy(out + 6, peer_mac, 6);
	memcpy(out + 14 + 12, ip + 16, 4);
	memcpy(out + 14 + 16, ip + 12, 4);
	out[14 + 8] = 64;
	out[14 + 10] = out[14 + 11] = 0;
	c = csum(out + 14, 20);
	out[14 + 10] = (uint8_t)(c >> 8);
	out[14 + 11] = (uint8_t)c;
	out[34] = 0;			/* echo reply */
	out[36] = out[37] = 0;
	c = csum(out + 34, tot - 20);
	out[36] = (uint8_t)(c >> 8);
	out[37] = (uint8_t)c;
	echoes++;
	return 14 + tot;
}

int main(int argc, char **argv)
{
	int to_guest[2], from_guest[2], status = 0;
	uint8_t f[65536], out[65536];
	struct pollfd p;
	ssize_t n;
	size_t m;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: net_peer LAUNCHER-COMMAND... (with --net fd=3:4)\n");
		return 2;
	}
	if (pipe2(to_guest, O_DIRECT) || pipe2(from_guest, O_DIRECT)) {
		perror("net_peer: pipe2(O_DIRECT)");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid < 0) {
		perror("net_peer: fork");
		return 1;
	}
	if (!pid) {
		if (dup2(to_guest[0], 3) < 0 || dup2(from_guest[1], 4) < 0)
			_exit(1);
		for (int fd = 5; fd < 64; fd++)
			close(fd);
		execvp(argv[1], argv + 1);
		perror("net_peer: exec");
		_exit(127);
	}
	close(to_guest[0]);
	close(from_guest[1]);
	p.fd = from_guest[0];
	p.events = POLLIN;
	for (;;) {
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		n = read(from_guest[0], f, sizeof(f));
		if (n == 0)
			break;		/* the launcher closed its end: it exited */
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		frames_in++;
		bytes_in += (size_t)n;
		m = answer(f, (size_t)n, out);
		if (m && write(to_guest[1], out, m) == (ssize_t)m) {
			frames_out++;
			bytes_out += m;
		}
	}
	close(to_guest[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	fprintf(stderr, "net_peer: %lu frames (%lu bytes) from the guest, %lu (%lu bytes) to it; %lu ARP, %lu echo, %lu bad, %lu other\n",
		frames_in, bytes_in, frames_out, bytes_out, arps, echoes, bad, other);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

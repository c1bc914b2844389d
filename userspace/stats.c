// SPDX-License-Identifier: GPL-2.0
/* libpvmx: struct pvmx_stats as a readable table or as one JSON object. */
#include <stdio.h>
#include <string.h>

#include "libpvmx.h"

static const char *const stop_names[PVMX_MC_STOP_REASONS] = {
	[PVMX_MC_STOP_END] = "end",
	[PVMX_MC_STOP_IRET] = "iret",
	[PVMX_MC_STOP_PREEMPTED] = "preempted",
	[PVMX_MC_STOP_ERROR] = "error",
};

const char *pvmx_mc_stop_name(unsigned stop)
{
	return stop < PVMX_MC_STOP_REASONS ? stop_names[stop] : NULL;
}

const char *pvmx_batch_bucket_name(unsigned b, char *buf, size_t len)
{
	if (b == 0)
		snprintf(buf, len, "1");
	else if (b >= PVMX_STATS_BATCH_BUCKETS - 1)
		snprintf(buf, len, "%u+", 1u << (PVMX_STATS_BATCH_BUCKETS - 1));
	else
		snprintf(buf, len, "%u-%u", 1u << b, (2u << b) - 1);
	return buf;
}

/* Names usable as JSON keys and table rows, for numbers without one too. */
static const char *exit_key(unsigned r, char *buf, size_t len)
{
	const char *n = pvmx_vmx_exit_reason_name(r);

	if (n)
		return n;
	snprintf(buf, len, "exit_%u", r);
	return buf;
}

static const char *hypercall_key(unsigned op, char *buf, size_t len)
{
	const char *n = pvmx_hypercall_name(op);

	if (n)
		return n;
	snprintf(buf, len, "hypercall_%u", op);
	return buf;
}

static unsigned long long per(uint64_t cycles, uint64_t count)
{
	return count ? (unsigned long long)(cycles / count) : 0;
}

#define ROW3 "  %-30s %12llu %16llu %12llu\n"
#define ROW1 "  %-30s %12llu\n"

void pvmx_stats_print_table(FILE *f, const struct pvmx_stats *s)
{
	uint64_t count = 0, cycles = 0, batches = 0;
	char buf[32];
	unsigned i;

	fprintf(f, "pvmx statistics (%u vCPU%s):\n", s->nr_vcpus, s->nr_vcpus == 1 ? "" : "s");
	fprintf(f, "  %-30s %12s %16s %12s\n", "exit reason", "count", "cycles", "cycles/exit");
	for (i = 0; i < PVMX_STATS_EXIT_REASONS; i++) {
		if (!s->exit_count[i] && !s->exit_cycles[i])
			continue;
		fprintf(f, ROW3, exit_key(i, buf, sizeof(buf)),
			(unsigned long long)s->exit_count[i],
			(unsigned long long)s->exit_cycles[i],
			per(s->exit_cycles[i], s->exit_count[i]));
		cycles += s->exit_cycles[i];
	}
	fprintf(f, ROW3, "all VM exits", (unsigned long long)s->exits,
		(unsigned long long)cycles, per(cycles, s->exits));

	/* Entries count as hypercalls too; a multicall's cycles include its entries'. */
	fprintf(f, "  %-30s %12s %16s %12s\n", "hypercall (incl. mc entries)", "count",
		"cycles", "cycles/call");
	cycles = 0;
	for (i = 0; i < PVMX_STATS_HYPERCALLS; i++) {
		if (!s->hypercall_count[i] && !s->hypercall_cycles[i])
			continue;
		fprintf(f, ROW3, hypercall_key(i, buf, sizeof(buf)),
			(unsigned long long)s->hypercall_count[i],
			(unsigned long long)s->hypercall_cycles[i],
			per(s->hypercall_cycles[i], s->hypercall_count[i]));
		count += s->hypercall_count[i];
		cycles += s->hypercall_cycles[i];
	}
	if (s->hypercall_other)
		fprintf(f, ROW1, "other (op >= 64)", (unsigned long long)s->hypercall_other);
	count += s->hypercall_other;
	fprintf(f, ROW1, "all hypercalls", (unsigned long long)count);

	for (i = 0; i < PVMX_STATS_BATCH_BUCKETS; i++)
		batches += s->multicall_batches[i];
	if (batches || s->multicall_entries) {
		fprintf(f, "  %-30s %12s\n", "multicall batch entries", "batches");
		for (i = 0; i < PVMX_STATS_BATCH_BUCKETS; i++)
			if (s->multicall_batches[i])
				fprintf(f, ROW1, pvmx_batch_bucket_name(i, buf, sizeof(buf)),
					(unsigned long long)s->multicall_batches[i]);
		fprintf(f, "  %-30s %12s\n", "multicall stops", "count");
		for (i = 0; i < PVMX_MC_STOP_REASONS; i++)
			if (s->multicall_stops[i])
				fprintf(f, ROW1, stop_names[i],
					(unsigned long long)s->multicall_stops[i]);
	}
	if (batches || s->multicall_entries || s->continuations || s->upcalls || s->traps ||
	    s->failsafes)
		fprintf(f, "  %-30s %12s\n", "other", "count");
	if (batches)
		fprintf(f, ROW1, "multicall batches", (unsigned long long)batches);
	if (s->multicall_entries)
		fprintf(f, ROW1, "multicall entries", (unsigned long long)s->multicall_entries);
	if (s->continuations)
		fprintf(f, ROW1, "continuations", (unsigned long long)s->continuations);
	if (s->upcalls)
		fprintf(f, ROW1, "event upcalls", (unsigned long long)s->upcalls);
	if (s->traps)
		fprintf(f, ROW1, "traps bounced", (unsigned long long)s->traps);
	if (s->failsafes)
		fprintf(f, ROW1, "failsafe callbacks", (unsigned long long)s->failsafes);
}

static void json_pair(FILE *f, bool *first, const char *key, uint64_t count, uint64_t cycles)
{
	fprintf(f, "%s\"%s\":{\"count\":%llu,\"cycles\":%llu}", *first ? "" : ",", key,
		(unsigned long long)count, (unsigned long long)cycles);
	*first = false;
}

static void json_num(FILE *f, bool *first, const char *key, uint64_t v)
{
	fprintf(f, "%s\"%s\":%llu", *first ? "" : ",", key, (unsigned long long)v);
	*first = false;
}

/* Keys are fixed names from libpvmx: plain ASCII, nothing to escape. */
void pvmx_stats_print_json(FILE *f, const struct pvmx_stats *s)
{
	char buf[32];
	bool first;
	unsigned i;

	fprintf(f, "{\"version\":%u,\"nr_vcpus\":%u,\"exits\":%llu,\"exit_reasons\":{",
		s->version, s->nr_vcpus, (unsigned long long)s->exits);
	first = true;
	for (i = 0; i < PVMX_STATS_EXIT_REASONS; i++)
		if (s->exit_count[i] || s->exit_cycles[i])
			json_pair(f, &first, exit_key(i, buf, sizeof(buf)), s->exit_count[i],
				  s->exit_cycles[i]);
	fprintf(f, "},\"hypercalls\":{");
	first = true;
	for (i = 0; i < PVMX_STATS_HYPERCALLS; i++)
		if (s->hypercall_count[i] || s->hypercall_cycles[i])
			json_pair(f, &first, hypercall_key(i, buf, sizeof(buf)),
				  s->hypercall_count[i], s->hypercall_cycles[i]);
	fprintf(f, "},\"hypercall_other\":%llu,\"multicall\":{\"entries\":%llu,\"batches\":{",
		(unsigned long long)s->hypercall_other,
		(unsigned long long)s->multicall_entries);
	first = true;
	for (i = 0; i < PVMX_STATS_BATCH_BUCKETS; i++)
		if (s->multicall_batches[i])
			json_num(f, &first, pvmx_batch_bucket_name(i, buf, sizeof(buf)),
				 s->multicall_batches[i]);
	fprintf(f, "},\"stops\":{");
	first = true;
	for (i = 0; i < PVMX_MC_STOP_REASONS; i++)
		if (s->multicall_stops[i])
			json_num(f, &first, stop_names[i], s->multicall_stops[i]);
	fprintf(f, "}},\"continuations\":%llu,\"upcalls\":%llu,\"traps\":%llu,\"failsafes\":%llu}\n",
		(unsigned long long)s->continuations, (unsigned long long)s->upcalls,
		(unsigned long long)s->traps, (unsigned long long)s->failsafes);
}

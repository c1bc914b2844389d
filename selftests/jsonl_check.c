// SPDX-License-Identifier: GPL-2.0
/*
 * jsonl_check: is each line of the input one JSON object (RFC 8259)?
 * For `pvmx run --trace-format=json` (JSON Lines) in the test VM, which
 * has no Python.  Strict: the grammar of RFC 8259 section 2-7 (no
 * trailing commas, no leading zeros, escapes checked, control characters
 * in strings refused), nothing but whitespace around the object.
 *
 *   jsonl_check [FILE]     exit 0: every line is an object (and there is
 *                          at least one); 1: the first bad line and why on
 *                          stderr; 2: usage or I/O error
 *
 * The host tests include this file (JSONL_CHECK_NO_MAIN) and call
 * jsonl_check_line() on the launcher's output.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct jp {
	const char *p, *end;
	const char *err;
	int depth;
};

static int jp_value(struct jp *j);

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int jp_fail(struct jp *j, const char *why)
{
	if (!j->err)
		j->err = why;
	return -1;
}

static int jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
		return jp_fail(j, "bad literal");
	j->p += n;
	return 0;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int jp_string(struct jp *j)
{
	int i;

	if (j->p >= j->end || *j->p != '"')
		return jp_fail(j, "string expected");
	j->p++;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;

		if (c == '"')
			return 0;
		if (c < 0x20)
			return jp_fail(j, "control character in a string");
		if (c != '\\')
			continue;
		if (j->p >= j->end)
			break;
		c = (unsigned char)*j->p++;
		if (c == 'u') {
			for (i = 0; i < 4; i++)
				if (j->p >= j->end || !is_hex(*j->p++))
					return jp_fail(j, "bad \\u escape");
		} else if (!strchr("\"\\/bfnrt", c) || !c) {
			return jp_fail(j, "bad escape");
		}
	}
	return jp_fail(j, "unterminated string");
}

static int jp_digits(struct jp *j)
{
	const char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s ? 0 : jp_fail(j, "digit expected");
}

static int jp_number(struct jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0') {
		j->p++;
		if (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			return jp_fail(j, "leading zero");
	} else if (jp_digits(j)) {
		return -1;
	}
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (jp_digits(j))
			return -1;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (jp_digits(j))
			return -1;
	}
	return 0;
}

/* An object or an array: members "key": value, or values, comma-separated. */
static int jp_compound(struct jp *j, char close, int members)
{
	if (++j->depth > 64)
		return jp_fail(j, "nested too deep");
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		jp_ws(j);
		if (members) {
			if (jp_string(j))
				return -1;
			jp_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return jp_fail(j, "':' expected");
		}
		if (jp_value(j))
			return -1;
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		return jp_fail(j, members ? "',' or '}' expected" : "',' or ']' expected");
	}
}

static int jp_value(struct jp *j)
{
	jp_ws(j);
	if (j->p >= j->end)
		return jp_fail(j, "value expected");
	switch (*j->p) {
	case '{':
		return jp_compound(j, '}', 1);
	case '[':
		return jp_compound(j, ']', 0);
	case '"':
		return jp_string(j);
	case 't':
		return jp_lit(j, "true");
	case 'f':
		return jp_lit(j, "false");
	case 'n':
		return jp_lit(j, "null");
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return jp_number(j);
		return jp_fail(j, "value expected");
	}
}

/* 0 when s[0..n) is one JSON object with only whitespace around it; else -1, *why. */
static int jsonl_check_line(const char *s, size_t n, const char **why)
{
	struct jp j = { s, s + n, NULL, 0 };

	jp_ws(&j);
	if (j.p >= j.end || *j.p != '{') {
		*why = "not an object";
		return -1;
	}
	if (!jp_value(&j)) {
		jp_ws(&j);
		if (j.p == j.end)
			return 0;
		jp_fail(&j, "text after the object");
	}
	*why = j.err;
	return -1;
}

#ifndef JSONL_CHECK_NO_MAIN
int main(int argc, char **argv)
{
	static char line[1 << 16];
	FILE *f = stdin;
	unsigned long nr = 0;
	const char *why;

	if (argc > 2 || (argc == 2 && !(f = fopen(argv[1], "r")))) {
		fprintf(stderr, "usage: jsonl_check [FILE]\n");
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		nr++;
		if (n && line[n - 1] == '\n')
			n--;
		else if (!feof(f)) {
			fprintf(stderr, "jsonl_check: line %lu: longer than %zu bytes\n", nr,
				sizeof(line) - 1);
			return 1;
		}
		if (jsonl_check_line(line, n, &why)) {
			fprintf(stderr, "jsonl_check: line %lu: %s: %.*s\n", nr, why, (int)n, line);
			return 1;
		}
	}
	if (ferror(f)) {
		perror("jsonl_check");
		return 2;
	}
	if (!nr) {
		fprintf(stderr, "jsonl_check: no lines\n");
		return 1;
	}
	return 0;
}
#endif

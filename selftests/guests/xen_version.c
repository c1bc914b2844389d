// SPDX-License-Identifier: GPL-2.0
/*
 * xen_version (hypercall 17): exact values and buffer semantics
 * (Documentation/guest-abi.rst "xen_version"; fixed-size buffers are copied
 * whole, zero padded).
 */
#include "runtime.h"

/* Neither mapped by the bootstrap tables nor in RAM of a small guest. */
#define UNMAPPED_VA	0x40000000u

/* Buffer has a NUL at or before len-1 and only zeroes after it. */
static int nul_and_zero_padded(const u8 *buf, size_t len)
{
	size_t i = 0;

	while (i < len && buf[i])
		i++;
	if (i == len)
		return 0;
	for (; i < len; i++)
		if (buf[i])
			return 0;
	return 1;
}

void test_main(void)
{
	static u8 extra[XEN_EXTRAVERSION_LEN + 16];
	static u8 caps[XEN_CAPABILITIES_LEN + 16];
	struct { u32 virt_start; } pp = { 0xAAAAAAAAu };
	struct xen_feature_info fi;
	unsigned i, untouched;
	long r;

	test_plan(16);

	r = xen_version(XENVER_version, NULL);
	test_diag("XENVER_version = 0x%x (%u.%u)", (u32)r, (u32)r >> 16, (u32)r & 0xffff);
	CHECK(r > 0 && ((u32)r >> 16) > 0, "version_major_minor_positive");

	memset(extra, 0xAA, sizeof(extra));
	CHECK_EQ(xen_version(XENVER_extraversion, extra), 0, "extraversion_returns_0");
	CHECK(nul_and_zero_padded(extra, XEN_EXTRAVERSION_LEN),
	      "extraversion_nul_terminated_zero_padded");
	for (untouched = 1, i = XEN_EXTRAVERSION_LEN; i < sizeof(extra); i++)
		untouched &= extra[i] == 0xAA;
	CHECK(untouched, "extraversion_writes_exactly_16_bytes");

	memset(caps, 0xAA, sizeof(caps));
	CHECK_EQ(xen_version(XENVER_capabilities, caps), 0, "capabilities_returns_0");
	test_diag("capabilities \"%s\"", (const char *)caps);
	CHECK(strstr((const char *)caps, XEN_START_INFO_MAGIC) != NULL,
	      "capabilities_has_xen-3.0-x86_32p");
	CHECK(nul_and_zero_padded(caps, XEN_CAPABILITIES_LEN),
	      "capabilities_zero_padded_to_1024");
	for (untouched = 1, i = XEN_CAPABILITIES_LEN; i < sizeof(caps); i++)
		untouched &= caps[i] == 0xAA;
	CHECK(untouched, "capabilities_writes_exactly_1024_bytes");

	r = xen_version(XENVER_platform_parameters, &pp);
	CHECK(r == 0 && pp.virt_start == XEN_HYPERVISOR_VIRT_START,
	      "platform_parameters_virt_start_F5800000");
	if (r || pp.virt_start != XEN_HYPERVISOR_VIRT_START)
		test_diag("  returned %d, virt_start 0x%x", (int)r, pp.virt_start);

	CHECK_EQ(xen_version(XENVER_pagesize, NULL), 4096, "pagesize_is_4096");
	CHECK_EQ(xen_version(XENVER_pagesize, &pp), -XEN_EINVAL, "pagesize_non_null_arg_einval");

	fi.submap_idx = 0;
	fi.submap = 0xAAAAAAAAu;
	r = xen_version(XENVER_get_features, &fi);
	test_diag("get_features(0) = %d, submap 0x%x", (int)r, fi.submap);
	fi.submap_idx = 1;
	CHECK_EQ(xen_version(XENVER_get_features, &fi), -XEN_EINVAL,
		 "get_features_submap_1_einval");

	CHECK_EQ(xen_version(0x7777, NULL), -XEN_ENOSYS, "unknown_cmd_enosys");

	CHECK_EQ(xen_version(XENVER_capabilities, (void *)XEN_HYPERVISOR_VIRT_START),
		 -XEN_EFAULT, "capabilities_to_hypervisor_hole_efault");
	CHECK_EQ(xen_version(XENVER_capabilities, (void *)UNMAPPED_VA),
		 -XEN_EFAULT, "capabilities_to_unmapped_efault");
	/* The last bytes below the hole: not mapped by the bootstrap tables. */
	CHECK_EQ(xen_version(XENVER_extraversion, (void *)(XEN_HYPERVISOR_VIRT_START - 8)),
		 -XEN_EFAULT, "extraversion_to_va_below_hole_efault");
}

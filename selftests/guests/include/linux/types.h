/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freestanding stand-in for <linux/types.h>, so that the 32-bit test guests
 * can include <pvmx/xen_abi.h> with -nostdinc (no libc or kernel headers of
 * the build machine leak into a guest).
 */
#ifndef _GUEST_LINUX_TYPES_H
#define _GUEST_LINUX_TYPES_H

typedef signed char		__s8;
typedef unsigned char		__u8;
typedef signed short		__s16;
typedef unsigned short		__u16;
typedef signed int		__s32;
typedef unsigned int		__u32;
typedef signed long long	__s64;
typedef unsigned long long	__u64;

#endif

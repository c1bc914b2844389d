// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-vm: create a KVM VM, the way any KVM user starts, for the rig's
 * KVM/pvmx coexistence checks (rig/kvm-coexist.sh).
 *
 * With kvm.enable_virt_at_load=0 (and on kernels before 6.12) KVM turns VMX
 * on when its first VM is created and off when its last one goes: creating
 * one is what makes KVM hold VMX.
 *
 * Usage: kvm-vm create   create a VM and close it again
 *        kvm-vm hold     create a VM, print "kvm-vm: VM created", keep it
 *                        until killed (SIGTERM)
 * Exit status: 0 on success; 1 when /dev/kvm cannot be opened or
 * KVM_CREATE_VM fails ("kvm-vm: KVM_CREATE_VM: <reason>" on stderr);
 * 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int kvm, vm, api, hold;

	if (argc != 2 || (strcmp(argv[1], "create") && strcmp(argv[1], "hold"))) {
		fprintf(stderr, "usage: kvm-vm create|hold\n");
		return 2;
	}
	hold = !strcmp(argv[1], "hold");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-vm: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		fprintf(stderr, "kvm-vm: KVM_GET_API_VERSION: %d, want %d\n", api, KVM_API_VERSION);
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "kvm-vm: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	if (!hold) {
		close(vm);
		close(kvm);
		return 0;
	}
	printf("kvm-vm: VM created\n");
	fflush(stdout);
	for (;;)
		pause();
}

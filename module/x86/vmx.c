// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX back end: capability checks, VMX on/off across CPUs and hotplug,
 * EPT, the VMCS of each vCPU, and the run loop.
 *
 * VMX is switched on for every online CPU when the first VM is created and
 * off when the last VM is released (and for CPUs that come online meanwhile),
 * so another hypervisor can use VMX whenever pvmx has no VM.
 *
 * A vCPU runs in "stretches": with preemption disabled the VMCS is current
 * on this CPU, the guest's FPU state is in the registers, and the loop enters
 * the guest, takes the exit with interrupts enabled (host interrupts are
 * serviced there) and handles it, until the host needs the CPU, a signal is
 * pending, or userspace must see an exit.  Between stretches the vCPU's
 * thread may sleep or move to another CPU; the VMCS follows it (VMCLEAR on
 * the old CPU by IPI, VMPTRLD on the new one, TLB tags flushed), KVM-style.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <asm/cpu_entry_area.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/hardirq.h>
#include <asm/io.h>
#include <asm/mce.h>
#include <asm/trapnr.h>
#include <asm/mmu_context.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/reboot.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include "vmx_ops.h"
#include "../pvmx_trace.h"

/* Capability MSR bits pvmx relies on (SDM Vol. 3 App. A). */
#define VMX_BASIC_REVISION(b)		((u32)(b) & 0x7FFFFFFF)
#define VMX_BASIC_SIZE(b)		(((b) >> 32) & 0x1FFF)
#define VMX_BASIC_MEMTYPE(b)		(((b) >> 50) & 0xF)
#define VMX_BASIC_HAS_TRUE_CTLS		BIT_ULL(55)
#define VMX_MEMTYPE_WB			6
#define EPTCAP_WALK4			BIT_ULL(6)
#define EPTCAP_WB			BIT_ULL(14)
#define EPTCAP_INVEPT			BIT_ULL(20)
#define EPTCAP_INVEPT_SINGLE		BIT_ULL(25)
#define EPTCAP_INVEPT_ALL		BIT_ULL(26)
#define VPIDCAP_INVVPID			BIT_ULL(32)
#define VPIDCAP_INVVPID_ADDR		BIT_ULL(40)
#define VPIDCAP_INVVPID_SINGLE		BIT_ULL(41)
#define VPIDCAP_INVVPID_ALL		BIT_ULL(42)

#define INVEPT_SINGLE	1
#define INVEPT_ALL	2
#define INVVPID_ADDR	0
#define INVVPID_SINGLE	1
#define INVVPID_ALL	2

#define PVMX_REMEDY_KVM	"unload kvm_intel, or load kvm with enable_virt_at_load=0"

static struct {
	u64 basic;
	u64 ept_vpid;
	u32 pin, proc, proc2, exit, entry;
	bool vpid;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
} caps;

struct pvmx_percpu {
	struct pvmx_vmcs *vmxon_region;
	bool vmx_on;
	struct list_head loaded_vcpus;	/* vCPUs whose VMCS is active here */
	struct pvmx_vmcs *current_vmcs;
};

static DEFINE_PER_CPU(struct pvmx_percpu, pvmx_pcpu);
static DEFINE_MUTEX(pvmx_enable_lock);
static unsigned int pvmx_users;		/* VMs alive; VMX is on while > 0 */
static unsigned int pvmx_nr_vms;
static enum cpuhp_state pvmx_hp_state;
static DEFINE_IDA(pvmx_vpids);

void pvmx_vmwrite_error(unsigned long field, unsigned long value)
{
	pr_err_ratelimited("pvmx: vmwrite(0x%lx, 0x%lx) failed: error %lu\n",
			   field, value, vmcs_read(VM_INSTRUCTION_ERROR));
}

static void vmcs_clear_insn(struct pvmx_vmcs *vmcs)
{
	u64 pa = __pa(vmcs);

	asm volatile("vmclear %0" : : "m" (pa) : "cc", "memory");
}

static void vmcs_load_insn(struct pvmx_vmcs *vmcs)
{
	u64 pa = __pa(vmcs);

	asm volatile("vmptrld %0" : : "m" (pa) : "cc", "memory");
}

static void invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };

	asm volatile("invept %0, %1" : : "m" (desc), "r" (type) : "cc", "memory");
}

static void invvpid(unsigned long type, u16 vpid, u64 gva)
{
	struct { u64 vpid; u64 gva; } desc = { vpid, gva };

	asm volatile("invvpid %0, %1" : : "m" (desc), "r" (type) : "cc", "memory");
}

/* ---- capabilities --------------------------------------------------------- */

static int adjust_controls(u32 min, u32 opt, u32 msr, u32 *result, const char *what)
{
	u32 must, may, ctl;

	rdmsr(msr, must, may);
	ctl = ((min | opt) & may) | must;
	if (min & ~ctl) {
		pr_err("pvmx: cannot load: the CPU lacks VMX %s controls 0x%x (allowed 0x%x); pvmx needs them\n",
		       what, min & ~ctl, may);
		return -ENODEV;
	}
	*result = ctl;
	return 0;
}

static void check_vmxe(void *busy)
{
	if (__read_cr4() & X86_CR4_VMXE)
		atomic_inc(busy);
}

static int read_capabilities(void)
{
	bool true_ctls;
	u64 feature_control;
	atomic_t busy = ATOMIC_INIT(0);
	int ret;

	if (boot_cpu_data.x86_vendor != X86_VENDOR_INTEL || !(cpuid_ecx(1) & BIT(5))) {
		pr_err("pvmx: cannot load: no VMX on this CPU (CPUID.1:ECX.VMX=0); use an Intel CPU with VT-x, or a VM with nested VMX\n");
		return -ENODEV;
	}
	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feature_control) ||
	    !(feature_control & FEAT_CTL_LOCKED) ||
	    !(feature_control & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("pvmx: cannot load: VMX is disabled by the firmware (IA32_FEATURE_CONTROL=0x%llx); enable VT-x in the BIOS setup\n",
		       feature_control);
		return -ENODEV;
	}
	on_each_cpu(check_vmxe, &busy, 1);
	if (atomic_read(&busy)) {
		pr_err("pvmx: cannot load: VMX is already in use by another hypervisor (CR4.VMXE set on %d CPUs); %s\n",
		       atomic_read(&busy), PVMX_REMEDY_KVM);
		return -EBUSY;
	}

	rdmsrl(MSR_IA32_VMX_BASIC, caps.basic);
	if (VMX_BASIC_SIZE(caps.basic) > PAGE_SIZE ||
	    VMX_BASIC_MEMTYPE(caps.basic) != VMX_MEMTYPE_WB) {
		pr_err("pvmx: cannot load: unsupported VMCS region (IA32_VMX_BASIC=0x%llx): need size <= 4096 and write-back memory\n",
		       caps.basic);
		return -ENODEV;
	}
	true_ctls = caps.basic & VMX_BASIC_HAS_TRUE_CTLS;

	ret = adjust_controls(PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING, 0,
			      true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
					  MSR_IA32_VMX_PINBASED_CTLS,
			      &caps.pin, "pin-based");
	if (ret)
		return ret;
	ret = adjust_controls(CPU_BASED_UNCOND_IO_EXITING |
			      CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			      CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING,
			      true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
					  MSR_IA32_VMX_PROCBASED_CTLS,
			      &caps.proc, "processor-based");
	if (ret)
		return ret;
	if (caps.proc & (CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING)) {
		pr_err("pvmx: cannot load: the CPU forces CR3 exiting (no TRUE VMX controls)\n");
		return -ENODEV;
	}
	ret = adjust_controls(SECONDARY_EXEC_ENABLE_EPT,
			      SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP,
			      MSR_IA32_VMX_PROCBASED_CTLS2, &caps.proc2, "secondary");
	if (ret)
		return ret;
	ret = adjust_controls(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_EFER, 0,
			      true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
			      &caps.exit, "VM-exit");
	if (ret)
		return ret;
	/* Guest DR7 and DEBUGCTL from the VMCS: default1, so every VMX CPU has it. */
	ret = adjust_controls(VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_DEBUG_CONTROLS, 0,
			      true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
			      &caps.entry, "VM-entry");
	if (ret)
		return ret;
	if (caps.entry & VM_ENTRY_IA32E_MODE) {
		pr_err("pvmx: cannot load: the CPU cannot enter 32-bit guests\n");
		return -ENODEV;
	}

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, caps.ept_vpid);
	if (!(caps.ept_vpid & EPTCAP_WALK4) || !(caps.ept_vpid & EPTCAP_WB) ||
	    !(caps.ept_vpid & EPTCAP_INVEPT) ||
	    !(caps.ept_vpid & (EPTCAP_INVEPT_SINGLE | EPTCAP_INVEPT_ALL))) {
		pr_err("pvmx: cannot load: EPT lacks a 4-level walk, write-back memory or INVEPT (IA32_VMX_EPT_VPID_CAP=0x%llx)\n",
		       caps.ept_vpid);
		return -ENODEV;
	}
	caps.vpid = (caps.proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
		    (caps.ept_vpid & VPIDCAP_INVVPID) &&
		    (caps.ept_vpid & (VPIDCAP_INVVPID_SINGLE | VPIDCAP_INVVPID_ALL));
	if (!caps.vpid)
		caps.proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, caps.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, caps.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, caps.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, caps.cr4_fixed1);
	return 0;
}

/*
 * RDTSCP and RDPID (both need the "enable RDTSCP" control; without it they
 * are #UD): offered to the guest as Xen offers them to PV guests, which
 * run them natively, with the guest's own TSC_AUX (emulate.c, 0 until the
 * guest writes it), loaded for the stretch (run_stretch()).  Without the
 * control the CPUID policy hides both (exits.c).
 */
bool pvmx_vmx_rdtscp(void)
{
	return caps.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP;
}

int pvmx_arch_check_cap(unsigned long cap)
{
	switch (cap) {
	case PVMX_CAP_API_VERSION:
		return PVMX_API_VERSION;
	case PVMX_CAP_MAX_VCPUS:
		return PVMX_MAX_VCPUS;
	case PVMX_CAP_MAX_MEMORY_MB:
		return PVMX_MAX_MEMORY >> 20;
	case PVMX_CAP_RUN_MMAP_SIZE:
		return PVMX_RUN_MMAP_SIZE;
	case PVMX_CAP_CONSOLE_MAX:
		return PVMX_CONSOLE_MAX;
	case PVMX_CAP_VPID:
		return caps.vpid;
	case PVMX_CAP_EVENTS:
		return 1;
	case PVMX_CAP_TRACE:
		return PVMX_TRACE_VERSION;
	case PVMX_CAP_STATS:
		return PVMX_STATS_VERSION;
	default:
		return 0;
	}
}

void pvmx_arch_get_info(struct pvmx_vmx_info *info)
{
	int cpu;

	memset(info, 0, sizeof(*info));
	info->vmx_basic = caps.basic;
	info->ept_vpid_cap = caps.ept_vpid;
	info->pinbased = caps.pin;
	info->procbased = caps.proc;
	info->procbased2 = caps.proc2;
	info->exit_ctls = caps.exit;
	info->entry_ctls = caps.entry;
	info->vmcs_revision = VMX_BASIC_REVISION(caps.basic);
	mutex_lock(&pvmx_enable_lock);
	for_each_online_cpu(cpu)
		info->nr_cpus_vmx_on += per_cpu(pvmx_pcpu, cpu).vmx_on;
	info->nr_vms = pvmx_nr_vms;
	mutex_unlock(&pvmx_enable_lock);
}

/* ---- VMX on/off ----------------------------------------------------------- */

/* Runs where the vCPU's VMCS is active; interrupts off. */
static void vmcs_clear_here(struct pvmx_vcpu *vcpu)
{
	struct pvmx_percpu *pc = this_cpu_ptr(&pvmx_pcpu);

	if (vcpu->arch.cpu != smp_processor_id())
		return;
	vmcs_clear_insn(vcpu->arch.vmcs);
	if (pc->current_vmcs == vcpu->arch.vmcs)
		pc->current_vmcs = NULL;
	list_del(&vcpu->arch.loaded_link);
	vcpu->arch.launched = false;
	/* Publish the list removal before the vCPU looks free to another CPU. */
	smp_wmb();
	WRITE_ONCE(vcpu->arch.cpu, -1);
}

static void vmcs_clear_ipi(void *vcpu)
{
	vmcs_clear_here(vcpu);
}

static void vmcs_clear_anywhere(struct pvmx_vcpu *vcpu)
{
	int cpu = READ_ONCE(vcpu->arch.cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmcs_clear_ipi, vcpu, 1);
}

/* Preemption off. */
static int vmx_on_here(void)
{
	struct pvmx_percpu *pc = this_cpu_ptr(&pvmx_pcpu);
	u64 pa = __pa(pc->vmxon_region);

	if (pc->vmx_on)
		return 0;
	if (__read_cr4() & X86_CR4_VMXE)
		return -EBUSY;
	cr4_set_bits(X86_CR4_VMXE);
	asm goto("1: vmxon %[pa]\n\t"
		 "jna %l[failed]\n\t"
		 _ASM_EXTABLE(1b, %l[failed])
		 : : [pa] "m" (pa) : "memory", "cc" : failed);
	pc->vmx_on = true;
	return 0;
failed:
	cr4_clear_bits(X86_CR4_VMXE);
	return -EIO;
}

static void vmx_off_here(void)
{
	struct pvmx_percpu *pc = this_cpu_ptr(&pvmx_pcpu);
	struct pvmx_vcpu *vcpu, *tmp;
	unsigned long flags;

	if (!pc->vmx_on)
		return;
	local_irq_save(flags);
	list_for_each_entry_safe(vcpu, tmp, &pc->loaded_vcpus, arch.loaded_link)
		vmcs_clear_here(vcpu);
	local_irq_restore(flags);
	asm volatile("vmxoff" : : : "cc", "memory");
	cr4_clear_bits(X86_CR4_VMXE);
	pc->vmx_on = false;
}

static void vmx_on_ipi(void *failed)
{
	if (vmx_on_here())
		atomic_inc(failed);
}

static void vmx_off_ipi(void *unused)
{
	vmx_off_here();
}

/*
 * Emergency reboot and kdump (NMI to every CPU, nothing else may run): the
 * kernel calls the registered callback so VMX is off before it resets or
 * jumps into the crash kernel (INIT is blocked in VMX operation, and a VMCS
 * only reaches memory through VMCLEAR).  KVM's vmx_emergency_disable().
 * Registered while pvmx has VMX on and kvm_intel is absent: the kernel has
 * a single slot and warns when a second owner registers, and kvm_intel
 * registers its callback (which runs VMXOFF for any owner) at load or
 * when it enables VMX, whoever holds the slot.  So pvmx yields the slot
 * when kvm_intel comes and takes it back when kvm_intel goes.
 */
static void pvmx_emergency_disable(void)
{
	struct pvmx_percpu *pc = this_cpu_ptr(&pvmx_pcpu);
	struct pvmx_vcpu *vcpu;

	if (!READ_ONCE(pc->vmx_on))
		return;
	list_for_each_entry(vcpu, &pc->loaded_vcpus, arch.loaded_link)
		vmcs_clear_insn(vcpu->arch.vmcs);
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
fault:
	cr4_clear_bits(X86_CR4_VMXE);
	WRITE_ONCE(pc->vmx_on, false);
}

/* pvmx_enable_lock protects both. */
static bool pvmx_kvm_intel_present;
static bool pvmx_holds_emergency_slot;

/* Hold the emergency slot exactly while VMX is on and kvm_intel is absent. */
static void update_emergency_slot(void)
{
	bool want = pvmx_users && !pvmx_kvm_intel_present;

	lockdep_assert_held(&pvmx_enable_lock);
	if (want == pvmx_holds_emergency_slot)
		return;
	if (want)
		cpu_emergency_register_virt_callback(pvmx_emergency_disable);
	else
		cpu_emergency_unregister_virt_callback(pvmx_emergency_disable);
	pvmx_holds_emergency_slot = want;
}

/* Runs before kvm_intel's init (COMING) and after its exit or failed init (GOING). */
static int pvmx_module_notify(struct notifier_block *nb, unsigned long state, void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, "kvm_intel") ||
	    (state != MODULE_STATE_COMING && state != MODULE_STATE_GOING))
		return NOTIFY_DONE;
	mutex_lock(&pvmx_enable_lock);
	pvmx_kvm_intel_present = state == MODULE_STATE_COMING;
	update_emergency_slot();
	mutex_unlock(&pvmx_enable_lock);
	return NOTIFY_OK;
}

static struct notifier_block pvmx_module_nb = {
	.notifier_call = pvmx_module_notify,
};

/* kvm_intel loaded (or built in) before pvmx: its /sys/module directory. */
static bool kvm_intel_loaded(void)
{
	struct path path;

	if (kern_path("/sys/module/kvm_intel", LOOKUP_FOLLOW, &path))
		return false;
	path_put(&path);
	return true;
}

int pvmx_arch_enable(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	int ret = 0;

	cpus_read_lock();
	mutex_lock(&pvmx_enable_lock);
	if (pvmx_users++ == 0) {
		on_each_cpu(vmx_on_ipi, &failed, 1);
		if (atomic_read(&failed)) {
			pr_err_ratelimited("pvmx: cannot turn VMX on (%d CPUs refused); another hypervisor may be using VMX: %s\n",
					   atomic_read(&failed), PVMX_REMEDY_KVM);
			on_each_cpu(vmx_off_ipi, NULL, 1);
			pvmx_users = 0;
			ret = -EBUSY;
		}
		update_emergency_slot();
	}
	if (!ret)
		pvmx_nr_vms++;
	mutex_unlock(&pvmx_enable_lock);
	cpus_read_unlock();
	return ret;
}

void pvmx_arch_disable(void)
{
	cpus_read_lock();
	mutex_lock(&pvmx_enable_lock);
	pvmx_nr_vms--;
	if (--pvmx_users == 0) {
		update_emergency_slot();
		on_each_cpu(vmx_off_ipi, NULL, 1);
	}
	mutex_unlock(&pvmx_enable_lock);
	cpus_read_unlock();
}

/* Hotplug callbacks run on the CPU concerned, with hotplug locked out. */
static int pvmx_cpu_online(unsigned int cpu)
{
	int ret = 0;

	preempt_disable();
	if (pvmx_users)
		ret = vmx_on_here();
	preempt_enable();
	if (ret)
		pr_err("pvmx: cannot turn VMX on for CPU %u: %d\n", cpu, ret);
	return ret;
}

static int pvmx_cpu_offline(unsigned int cpu)
{
	preempt_disable();
	vmx_off_here();
	preempt_enable();
	return 0;
}

int pvmx_arch_init(void)
{
	int cpu, ret;

	BUILD_BUG_ON(HOST_RSP != 0x6c14);
	/* RAM, shared_info and the grant frames below the hypervisor's frames. */
	BUILD_BUG_ON(PVMX_MAX_MEMORY + (1 + PVMX_GNTTAB_MAX_FRAMES) * PAGE_SIZE > PVMX_HV_GPA_BASE);
	BUILD_BUG_ON(PVMX_HV_GPA(PVMX_HV_FRAME_M2P(PVMX_M2P_MAX_L1 * 512)) > BIT_ULL(32));
	BUILD_BUG_ON(PVMX_EAX != 0 || PVMX_ECX != 1 || PVMX_EDX != 2 || PVMX_EBX != 3 ||
		     PVMX_EBP != 5 || PVMX_ESI != 6 || PVMX_EDI != 7);

	ret = read_capabilities();
	if (ret)
		return ret;
	ret = pvmx_spec_init();
	if (ret)
		return ret;
	for_each_possible_cpu(cpu) {
		struct pvmx_percpu *pc = per_cpu_ptr(&pvmx_pcpu, cpu);

		INIT_LIST_HEAD(&pc->loaded_vcpus);
		pc->vmxon_region = (void *)get_zeroed_page(GFP_KERNEL);
		if (!pc->vmxon_region) {
			ret = -ENOMEM;
			goto fail;
		}
		pc->vmxon_region->revision_id = VMX_BASIC_REVISION(caps.basic);
	}
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "pvmx:online",
				pvmx_cpu_online, pvmx_cpu_offline);
	if (ret < 0)
		goto fail;
	pvmx_hp_state = ret;
	/*
	 * Notifier first, so no kvm_intel load goes unseen; one unloading
	 * meanwhile can leave the slot unused, never doubly held.
	 */
	ret = register_module_notifier(&pvmx_module_nb);
	if (ret) {
		cpuhp_remove_state(pvmx_hp_state);
		goto fail;
	}
	mutex_lock(&pvmx_enable_lock);
	if (kvm_intel_loaded())
		pvmx_kvm_intel_present = true;
	mutex_unlock(&pvmx_enable_lock);
	return 0;
fail:
	for_each_possible_cpu(cpu)
		free_page((unsigned long)per_cpu(pvmx_pcpu, cpu).vmxon_region);
	pvmx_spec_exit();
	return ret;
}

void pvmx_arch_exit(void)
{
	int cpu;

	unregister_module_notifier(&pvmx_module_nb);
	cpuhp_remove_state(pvmx_hp_state);
	for_each_possible_cpu(cpu)
		free_page((unsigned long)per_cpu(pvmx_pcpu, cpu).vmxon_region);
	ida_destroy(&pvmx_vpids);
	pvmx_spec_exit();
}

/* ---- EPT ------------------------------------------------------------------ */

#define EPT_MT_WB	(6ULL << 3)
#define EPT_LEVELS	4

int pvmx_ept_map(struct pvmx_vm *vm, u64 gpa, phys_addr_t hpa, u64 perms)
{
	u64 *table = vm->arch.ept_pml4;
	int level;

	for (level = EPT_LEVELS - 1; level > 0; level--) {
		u64 *entry = &table[(gpa >> (12 + 9 * level)) & 511];

		if (!(*entry & (PVMX_EPT_R | PVMX_EPT_W | PVMX_EPT_X))) {
			u64 *next = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

			if (!next)
				return -ENOMEM;
			*entry = __pa(next) | PVMX_EPT_R | PVMX_EPT_W | PVMX_EPT_X;
		}
		table = __va(*entry & PVMX_PTE_ADDR);
	}
	table[(gpa >> 12) & 511] = hpa | perms | EPT_MT_WB;
	return 0;
}

/* Clears the leaf for gpa, if its tables exist. */
static void ept_unmap(struct pvmx_vm *vm, u64 gpa)
{
	u64 *table = vm->arch.ept_pml4;
	int level;

	for (level = EPT_LEVELS - 1; level > 0; level--) {
		u64 entry = table[(gpa >> (12 + 9 * level)) & 511];

		if (!(entry & (PVMX_EPT_R | PVMX_EPT_W | PVMX_EPT_X)))
			return;
		table = __va(entry & PVMX_PTE_ADDR);
	}
	table[(gpa >> 12) & 511] = 0;
}

static void ept_flush_ipi(void *vm)
{
	u64 eptp = ((struct pvmx_vm *)vm)->arch.eptp;

	invept(caps.ept_vpid & EPTCAP_INVEPT_SINGLE ? INVEPT_SINGLE : INVEPT_ALL, eptp);
}

/* After removing mappings: no CPU may keep a translation (VMX is on: a VM exists). */
static void ept_flush_everywhere(struct pvmx_vm *vm)
{
	on_each_cpu(ept_flush_ipi, vm, 1);
}

static void ept_free(u64 *table, int level)
{
	int i;

	if (!table)
		return;
	if (level > 0)
		for (i = 0; i < 512; i++)
			if (table[i] & (PVMX_EPT_R | PVMX_EPT_W | PVMX_EPT_X))
				ept_free(__va(table[i] & PVMX_PTE_ADDR), level - 1);
	free_page((unsigned long)table);
}

void pvmx_arch_unmap_memory(struct pvmx_vm *vm)
{
	u64 gfn;
	u32 i;

	for (gfn = 0; gfn < vm->core.mem.nr_frames; gfn++)
		ept_unmap(vm, gfn << PAGE_SHIFT);
	for (i = 0; i < vm->arch.nr_m2p_pages; i++)
		ept_unmap(vm, PVMX_HV_GPA(PVMX_HV_FRAME_M2P(i)));
	vm->arch.nr_m2p_pages = 0;
	vm->arch.nr_m2p_l1 = 0;
	ept_flush_everywhere(vm);
}

/*
 * The M2P's pages, read-only in EPT at hypervisor frames, and the L1s that
 * map them at 0xF5800000: present, read-only, supervisor (the ring-1 kernel
 * reads it, its ring-3 processes do not), not executable.  The core writes
 * vm->core.m2p; the guest sees it.
 */
static int map_m2p(struct pvmx_vm *vm)
{
	u32 pages = DIV_ROUND_UP(vm->core.nr_m2p, PAGE_SIZE / sizeof(u32));
	u32 i;
	int ret;

	if (pages > PVMX_M2P_MAX_L1 * 512)
		return -EINVAL;
	for (i = 0; i < PVMX_M2P_MAX_L1; i++)
		clear_page(page_address(vm->arch.hv_l1_m2p[i]));
	for (i = 0; i < pages; i++) {
		u64 gpa = PVMX_HV_GPA(PVMX_HV_FRAME_M2P(i));
		u64 *l1 = page_address(vm->arch.hv_l1_m2p[i / 512]);
		struct page *pg = vmalloc_to_page((u8 *)vm->core.m2p + i * PAGE_SIZE);

		ret = pvmx_ept_map(vm, gpa, page_to_phys(pg), PVMX_EPT_R);
		if (ret)
			return ret;
		vm->arch.nr_m2p_pages = i + 1;
		l1[i % 512] = gpa | PVMX_PTE_P | PVMX_PTE_A | PVMX_PTE_NX;
	}
	vm->arch.nr_m2p_l1 = DIV_ROUND_UP(pages, 512);
	return 0;
}

int pvmx_arch_map_memory(struct pvmx_vm *vm)
{
	struct pvmx_gmem *mem = &vm->core.mem;
	u32 i;
	int ret;

	for (i = 0; i < mem->nr_ram_frames; i++) {
		ret = pvmx_ept_map(vm, (u64)i << PAGE_SHIFT, page_to_phys(vm->ram_pages[i]),
				   PVMX_EPT_R | PVMX_EPT_W | PVMX_EPT_X);
		if (ret)
			goto fail;
	}
	ret = pvmx_ept_map(vm, (u64)vm->core.shared_info_gfn << PAGE_SHIFT,
			   page_to_phys(vm->shared_info_page), PVMX_EPT_R | PVMX_EPT_W);
	if (ret)
		goto fail;
	/* Grant frames: ordinary data pages to the guest. */
	for (i = 0; i < PVMX_GNTTAB_MAX_FRAMES; i++) {
		ret = pvmx_ept_map(vm, (u64)(vm->core.gnttab_gfn + i) << PAGE_SHIFT,
				   page_to_phys(vm->gnttab_pages[i]),
				   PVMX_EPT_R | PVMX_EPT_W);
		if (ret)
			goto fail;
	}
	ret = map_m2p(vm);
	if (!ret) {
		pvmx_map_shared_info_ro(vm);
		return 0;
	}
fail:
	pvmx_arch_unmap_memory(vm);
	return ret;
}

/*
 * XSA-273: the boundary for not-present guest entries (mm.c), as Xen's
 * l1tf_calculations(): the L1D's address width (x86_cache_bits, wider than
 * CPUID's on some models) masks the address; above CPUID's width is safe
 * when the L1D is wider, else the top quarter of physical address space.
 */
static void pvmx_l1tf_init(struct pvmx_vm_core *core)
{
	u8 paddr = boot_cpu_data.x86_phys_bits, l1d = boot_cpu_data.x86_cache_bits;

	core->l1tf_check = boot_cpu_has_bug(X86_BUG_L1TF);
	core->l1tf_addr_mask = (BIT_ULL(l1d) - 1) & PAGE_MASK;
	core->l1tf_safe_maddr = l1d > paddr ? BIT_ULL(paddr) : 3ULL << (paddr - 2);
}

int pvmx_arch_vm_init(struct pvmx_vm *vm)
{
	struct pvmx_vm_arch *arch = &vm->arch;
	int ret, i;

	arch->ept_pml4 = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	arch->hv_l1 = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	arch->hv_l1_shinfo = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	arch->hv_zero = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	arch->hv_l1_ldt = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	for (i = 0; i < PVMX_M2P_MAX_L1; i++)
		arch->hv_l1_m2p[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!arch->ept_pml4 || !arch->hv_l1 || !arch->hv_l1_shinfo || !arch->hv_zero ||
	    !arch->hv_l1_ldt || !arch->hv_l1_m2p[0] || !arch->hv_l1_m2p[1])
		return -ENOMEM;
	arch->eptp = __pa(arch->ept_pml4) | ((EPT_LEVELS - 1) << 3) | VMX_MEMTYPE_WB;
	vm->core.tsc_aux_msr = pvmx_vmx_rdtscp() && (boot_cpu_has(X86_FEATURE_RDTSCP) ||
						     boot_cpu_has(X86_FEATURE_RDPID));
	pvmx_l1tf_init(&vm->core);
	pvmx_spec_vm_init(vm);
	/* The hypervisor's frames are read-only to the guest, in EPT too. */
	ret = pvmx_ept_map(vm, PVMX_HV_GPA(PVMX_HV_FRAME_L1), page_to_phys(arch->hv_l1),
			   PVMX_EPT_R);
	if (!ret)
		ret = pvmx_ept_map(vm, PVMX_HV_GPA(PVMX_HV_FRAME_ZERO),
				   page_to_phys(arch->hv_zero), PVMX_EPT_R);
	if (!ret)
		ret = pvmx_ept_map(vm, PVMX_HV_GPA(PVMX_HV_FRAME_L1_SHINFO),
				   page_to_phys(arch->hv_l1_shinfo), PVMX_EPT_R);
	if (!ret)
		ret = pvmx_ept_map(vm, PVMX_HV_GPA(PVMX_HV_FRAME_L1_LDT),
				   page_to_phys(arch->hv_l1_ldt), PVMX_EPT_R);
	for (i = 0; i < PVMX_M2P_MAX_L1 && !ret; i++)
		ret = pvmx_ept_map(vm, PVMX_HV_GPA(PVMX_HV_FRAME_L1_M2P(i)),
				   page_to_phys(arch->hv_l1_m2p[i]), PVMX_EPT_R);
	return ret;
}

void pvmx_arch_vm_destroy(struct pvmx_vm *vm)
{
	int i;

	ept_free(vm->arch.ept_pml4, EPT_LEVELS - 1);
	if (vm->arch.hv_l1)
		__free_page(vm->arch.hv_l1);
	if (vm->arch.hv_l1_shinfo)
		__free_page(vm->arch.hv_l1_shinfo);
	if (vm->arch.hv_zero)
		__free_page(vm->arch.hv_zero);
	if (vm->arch.hv_l1_ldt)
		__free_page(vm->arch.hv_l1_ldt);
	for (i = 0; i < PVMX_M2P_MAX_L1; i++)
		if (vm->arch.hv_l1_m2p[i])
			__free_page(vm->arch.hv_l1_m2p[i]);
}

/* ---- the VMCS ------------------------------------------------------------- */

static unsigned long guest_cr0(void)
{
	return (X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
		X86_CR0_PG | caps.cr0_fixed0) & caps.cr0_fixed1;
}

#define GUEST_CR4_VISIBLE	(X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

/*
 * CR4.MCE as the host has it (KVM's vmx_set_cr4()): with it clear a
 * machine check in guest mode shuts the CPU down instead of exiting to the
 * host's #MC handler (host_nmi_or_mce()).  The guest's reads of CR4 are
 * emulated (emulate.c) and never see it.
 */
static unsigned long guest_cr4(void)
{
	return (GUEST_CR4_VISIBLE | X86_CR4_VMXE | (cr4_read_shadow() & X86_CR4_MCE) |
		caps.cr4_fixed0) & caps.cr4_fixed1;
}

/* Host state that is the same on every CPU and for the vCPU's lifetime. */
static void vmcs_setup(struct pvmx_vcpu *vcpu)
{
	u32 area = pvmx_vcpu_area_va(vcpu);
	struct desc_ptr idt;
	struct pvmx_seg seg;
	u64 msr;

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, caps.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, caps.proc);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, caps.proc2);
	vmcs_write(VM_EXIT_CONTROLS, caps.exit);
	vmcs_write(VM_ENTRY_CONTROLS, caps.entry);
	/* Every exception exits: the guest's IDT is the hypervisor's business. */
	vmcs_write(EXCEPTION_BITMAP, ~0u);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(CR0_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR4_GUEST_HOST_MASK, ~0UL);
	vmcs_write(CR0_READ_SHADOW, guest_cr0() & ~X86_CR0_NE);
	vmcs_write(CR4_READ_SHADOW, GUEST_CR4_VISIBLE);
	vmcs_write(EPT_POINTER, vcpu->vm->arch.eptp);
	if (vcpu->arch.vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vcpu->arch.vpid);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);

	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_write(HOST_IDTR_BASE, idt.address);
	vmcs_write(HOST_RIP, (unsigned long)pvmx_vmx_exit);
	rdmsrl(MSR_EFER, msr);
	vmcs_write(HOST_IA32_EFER, msr);
	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write(HOST_IA32_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_write(HOST_IA32_SYSENTER_EIP, msr);
	vcpu->arch.host_rsp = 0;
	vcpu->arch.host_cr3 = 0;
	vcpu->arch.host_cr4 = 0;
	vcpu->arch.vmcs_ready = true;

	/* Guest state that never changes: it is all the hypervisor's. */
	vmcs_write(GUEST_CR0, guest_cr0());
	vmcs_write(GUEST_CR4, guest_cr4());
	vmcs_write(GUEST_IA32_EFER, EFER_NX);
	vmcs_write(GUEST_GDTR_BASE, area);
	vmcs_write(GUEST_GDTR_LIMIT, PVMX_GDT_LIMIT);
	vmcs_write(GUEST_IDTR_BASE, area + PVMX_TSS_PAGE * PAGE_SIZE + PVMX_IDT_OFFSET);
	vmcs_write(GUEST_IDTR_LIMIT, PVMX_IDT_LIMIT);
	seg = (struct pvmx_seg){ .selector = PVMX_TSS_SELECTOR,
		.base = area + PVMX_TSS_PAGE * PAGE_SIZE, .limit = 0x67, .ar = 0x8B };
	pvmx_write_guest_segment(PVMX_SREG_TR, &seg);
	seg = (struct pvmx_seg){ .ar = PVMX_AR_UNUSABLE };
	pvmx_write_guest_segment(PVMX_SREG_LDTR, &seg);
	vmcs_write(GUEST_DR7, PVMX_DR7_FIXED_1);	/* reset; run_stretch() keeps it current */
	vcpu->arch.vmcs_dr7 = PVMX_DR7_FIXED_1;
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);	/* sysenter #GPs: exits.c enters the callback */
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

/* Host state that differs per CPU (SDM 27.2.4: per-CPU GDT and TSS). */
static void vmcs_set_host_percpu(int cpu)
{
	u64 msr;

	vmcs_write(HOST_TR_BASE, (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_write(HOST_GDTR_BASE, (unsigned long)get_current_gdt_ro());
	rdmsrl(MSR_GS_BASE, msr);
	vmcs_write(HOST_GS_BASE, msr);
	rdmsrl(MSR_IA32_SYSENTER_ESP, msr);
	vmcs_write(HOST_IA32_SYSENTER_ESP, msr);
}

/* Make the vCPU's VMCS current on this CPU.  Preemption off. */
static void vcpu_load(struct pvmx_vcpu *vcpu)
{
	struct pvmx_percpu *pc = this_cpu_ptr(&pvmx_pcpu);
	int cpu = smp_processor_id();

	if (vcpu->arch.cpu != cpu) {
		vmcs_clear_anywhere(vcpu);
		/* Pairs with the smp_wmb() in vmcs_clear_here(). */
		smp_rmb();
		local_irq_disable();
		list_add(&vcpu->arch.loaded_link, &pc->loaded_vcpus);
		local_irq_enable();
		vmcs_load_insn(vcpu->arch.vmcs);
		pc->current_vmcs = vcpu->arch.vmcs;
		WRITE_ONCE(vcpu->arch.cpu, cpu);
		if (!vcpu->arch.vmcs_ready)
			vmcs_setup(vcpu);
		vmcs_set_host_percpu(cpu);
		/* Cached translations on this CPU may predate the vCPU's last stay. */
		invept(caps.ept_vpid & EPTCAP_INVEPT_SINGLE ? INVEPT_SINGLE : INVEPT_ALL,
		       vcpu->vm->arch.eptp);
		if (vcpu->arch.vpid)
			invvpid(caps.ept_vpid & VPIDCAP_INVVPID_SINGLE ? INVVPID_SINGLE :
				INVVPID_ALL, vcpu->arch.vpid, 0);
	} else if (pc->current_vmcs != vcpu->arch.vmcs) {
		vmcs_load_insn(vcpu->arch.vmcs);
		pc->current_vmcs = vcpu->arch.vmcs;
	}
	pvmx_spec_vcpu_load(vcpu);
}

void pvmx_arch_flush_guest_tlb(struct pvmx_vcpu_core *core, u32 gva, bool one)
{
	struct pvmx_vcpu *vcpu = container_of(core, struct pvmx_vcpu, core);

	/* Without a VPID every VM entry flushes the guest's translations. */
	if (!vcpu->arch.vpid)
		return;
	if (one && (caps.ept_vpid & VPIDCAP_INVVPID_ADDR))
		invvpid(INVVPID_ADDR, vcpu->arch.vpid, gva);
	else
		invvpid(caps.ept_vpid & VPIDCAP_INVVPID_SINGLE ? INVVPID_SINGLE : INVVPID_ALL,
			vcpu->arch.vpid, 0);
}

/*
 * VCPUOP_initialise for a vCPU that is down, from another vCPU's thread
 * under the VM lock: software state only (the VMCS may be active anywhere);
 * the next stretch writes it (state_dirty).
 */
void pvmx_arch_load_context(struct pvmx_vcpu_core *core, const u16 sregs[6], const void *fpu)
{
	struct pvmx_vcpu *vcpu = container_of(core, struct pvmx_vcpu, core);
	struct fxregs_state *fx = vcpu->arch.fpu;
	int i;

	/* The core's order is the VMCS's: ES, CS, SS, DS, FS, GS. */
	for (i = PVMX_SREG_ES; i <= PVMX_SREG_GS; i++)
		vcpu->arch.sregs[i] = sregs[i];
	if (fpu) {
		memcpy(fx, fpu, sizeof(*fx));
		/* Reserved MXCSR bits would make FXRSTOR fault in the host. */
		fx->mxcsr &= 0xFFBF;
	} else {
		memset(fx, 0, sizeof(*fx));
		fx->cwd = 0x37F;
		fx->mxcsr = 0x1F80;
	}
	vcpu->arch.state_dirty = true;
	pvmx_build_vcpu_tables(vcpu);
}

/* ---- hooks the core calls while handling an exit (VMCS current) ---------- */

/* Only MOV to CR3 reloads PDPTEs from memory; the VMCS copy is what counts. */
void pvmx_arch_load_baseptr(struct pvmx_vcpu_core *core)
{
	const struct pvmx_cpu *cpu = &core->cpu;

	vmcs_write(GUEST_CR3, cpu->cr3);
	vmcs_write(GUEST_PDPTR0, cpu->pdpte[0]);
	vmcs_write(GUEST_PDPTR1, cpu->pdpte[1]);
	vmcs_write(GUEST_PDPTR2, cpu->pdpte[2]);
	vmcs_write(GUEST_PDPTR3, cpu->pdpte[3]);
}

/*
 * need_resched(), signal_pending(current) or softirqs: the thread flags in
 * one read, as KVM's xfer_to_guest_mode_work_pending().
 */
static __always_inline bool host_preempt_pending(void)
{
	return (read_thread_flags() & (_TIF_NEED_RESCHED | _TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL)) ||
	       local_softirq_pending();
}

bool pvmx_arch_preempt_pending(struct pvmx_vcpu_core *core)
{
	return host_preempt_pending();
}

void pvmx_arch_get_data_segs(struct pvmx_vcpu_core *core, u16 segs[4])
{
	segs[0] = vmcs_read(GUEST_DS_SELECTOR);
	segs[1] = vmcs_read(GUEST_ES_SELECTOR);
	segs[2] = vmcs_read(GUEST_FS_SELECTOR);
	segs[3] = vmcs_read(GUEST_GS_SELECTOR);
}

void pvmx_arch_set_data_segs(struct pvmx_vcpu_core *core, const u16 segs[4])
{
	static const int sreg[4] = { PVMX_SREG_DS, PVMX_SREG_ES, PVMX_SREG_FS, PVMX_SREG_GS };
	struct pvmx_seg seg;
	int i;

	for (i = 0; i < 4; i++) {
		if (!pvmx_guest_segment(core, segs[i], &seg))
			pvmx_guest_segment(core, 0, &seg);
		pvmx_write_guest_segment(sreg[i], &seg);
	}
}

void pvmx_arch_set_fpu_ts(struct pvmx_vcpu_core *core, bool ts)
{
	unsigned long cr0 = guest_cr0() | (ts ? X86_CR0_TS : 0);

	vmcs_write(GUEST_CR0, cr0);
	vmcs_write(CR0_READ_SHADOW, cr0 & ~X86_CR0_NE);
}

int pvmx_arch_vcpu_create(struct pvmx_vcpu *vcpu)
{
	struct pvmx_vcpu_arch *arch = &vcpu->arch;
	int ret;

	arch->cpu = -1;
	INIT_LIST_HEAD(&arch->loaded_link);
	arch->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	arch->gdt_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	arch->tss_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	arch->fpu = kzalloc(sizeof(*arch->fpu), GFP_KERNEL_ACCOUNT);
	if (!arch->vmcs || !arch->gdt_page || !arch->tss_page || !arch->fpu)
		return -ENOMEM;
	arch->vmcs->revision_id = VMX_BASIC_REVISION(caps.basic);
	arch->fpu->cwd = 0x37F;
	arch->fpu->mxcsr = 0x1F80;
	if (caps.vpid) {
		ret = ida_alloc_range(&pvmx_vpids, 1, 0xFFFF, GFP_KERNEL);
		if (ret < 0)
			return ret;
		arch->vpid = ret;
	}
	pvmx_build_vcpu_tables(vcpu);
	ret = pvmx_ept_map(vcpu->vm, PVMX_HV_GPA(PVMX_HV_FRAME_GDT(vcpu->core.id)),
			   page_to_phys(arch->gdt_page), PVMX_EPT_R);
	if (!ret)
		ret = pvmx_ept_map(vcpu->vm, PVMX_HV_GPA(PVMX_HV_FRAME_TSS(vcpu->core.id)),
				   page_to_phys(arch->tss_page), PVMX_EPT_R | PVMX_EPT_X);
	if (ret)
		return ret;
	/* VMCLEAR once to initialise the launch state; VMX is on (a VM exists). */
	preempt_disable();
	vmcs_clear_insn(arch->vmcs);
	preempt_enable();
	return 0;
}

void pvmx_arch_vcpu_destroy(struct pvmx_vcpu *vcpu)
{
	struct pvmx_vcpu_arch *arch = &vcpu->arch;
	u32 id = vcpu->core.id;

	/* No mapping may outlive the pages (a vCPU can fail after this point). */
	ept_unmap(vcpu->vm, PVMX_HV_GPA(PVMX_HV_FRAME_GDT(id)));
	ept_unmap(vcpu->vm, PVMX_HV_GPA(PVMX_HV_FRAME_TSS(id)));
	ept_flush_everywhere(vcpu->vm);
	if (arch->vmcs) {
		vmcs_clear_anywhere(vcpu);
		free_page((unsigned long)arch->vmcs);
	}
	if (arch->vpid)
		ida_free(&pvmx_vpids, arch->vpid);
	if (arch->gdt_page)
		__free_page(arch->gdt_page);
	if (arch->tss_page)
		__free_page(arch->tss_page);
	kfree(arch->fpu);
}

/* ---- registers ------------------------------------------------------------ */

#define EFLAGS_REFUSED	(X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF | \
			 X86_EFLAGS_VM | X86_EFLAGS_VIF | X86_EFLAGS_VIP | 0xFFC08028UL)

/*
 * SET_REGS selectors: Xen's flat ones or the guest's GDT (the LDT is found
 * through the guest's page tables, which SET_REGS may be replacing), used
 * as the CPU would let the guest: CS and SS at their RPL = CPL, DS..GS data
 * segments only.
 */
static bool set_regs_selector_ok(struct pvmx_vcpu *vcpu, u32 sel, enum pvmx_seg_use use,
				 u32 cpl)
{
	struct pvmx_seg seg;

	if (sel > 0xFFFF || (sel & 4))
		return false;
	switch (use) {
	case PVMX_SEG_CODE:
	case PVMX_SEG_STACK:
		return (sel & 3) == cpl && pvmx_arch_selector_usable(&vcpu->core, sel, use);
	default:
		/* 0, or a data segment loadable with an RPL no more privileged than CPL. */
		if (!(sel & ~3))
			return sel == 0;
		return (sel & 3) >= cpl && pvmx_guest_segment(&vcpu->core, sel, &seg) &&
		       !(seg.ar & 8) && ((seg.ar >> 5) & 3) >= (sel & 3);
	}
}

int pvmx_arch_set_regs(struct pvmx_vcpu *vcpu, const struct pvmx_regs *regs)
{
	struct pvmx_cpu *cpu = &vcpu->core.cpu;
	u32 cpl = regs->cs & 3;
	long ret;

	if ((cpl != 1 && cpl != 3) ||
	    !set_regs_selector_ok(vcpu, regs->cs, PVMX_SEG_CODE, cpl) ||
	    !set_regs_selector_ok(vcpu, regs->ss, PVMX_SEG_STACK, cpl) ||
	    !set_regs_selector_ok(vcpu, regs->ds, PVMX_SEG_USER_DATA, cpl) ||
	    !set_regs_selector_ok(vcpu, regs->es, PVMX_SEG_USER_DATA, cpl) ||
	    !set_regs_selector_ok(vcpu, regs->fs, PVMX_SEG_USER_DATA, cpl) ||
	    !set_regs_selector_ok(vcpu, regs->gs, PVMX_SEG_USER_DATA, cpl))
		return -EINVAL;
	if (regs->eflags & EFLAGS_REFUSED)
		return -EINVAL;
	if (regs->kernel_ss && !set_regs_selector_ok(vcpu, regs->kernel_ss, PVMX_SEG_STACK, 1))
		return -EINVAL;
	/* The initial tables are validated and pinned, as Xen's domain builder does. */
	spin_lock(&vcpu->vm->core.lock);	/* page types are VM-wide */
	ret = pvmx_mm_boot_baseptr(&vcpu->core, regs->cr3);
	spin_unlock(&vcpu->vm->core.lock);
	if (ret) {
		pr_warn_ratelimited("pvmx: initial page tables at cr3 0x%llx refused (Xen error %ld): the L3 must be page aligned with slot 3 present, page-table pages mapped read-only, no 2 MiB pages, only the VM's frames\n",
				    regs->cr3, ret);
		return -EINVAL;
	}

	cpu->gpr[PVMX_EAX] = regs->eax;
	cpu->gpr[PVMX_EBX] = regs->ebx;
	cpu->gpr[PVMX_ECX] = regs->ecx;
	cpu->gpr[PVMX_EDX] = regs->edx;
	cpu->gpr[PVMX_ESI] = regs->esi;
	cpu->gpr[PVMX_EDI] = regs->edi;
	cpu->gpr[PVMX_EBP] = regs->ebp;
	cpu->gpr[PVMX_ESP] = regs->esp;
	cpu->eip = regs->eip;
	cpu->eflags = regs->eflags | X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	cpu->cs = regs->cs;
	cpu->ss = regs->ss;
	cpu->kernel_ss = regs->kernel_ss;
	cpu->kernel_sp = regs->kernel_sp;
	vcpu->arch.sregs[PVMX_SREG_ES] = regs->es;
	vcpu->arch.sregs[PVMX_SREG_CS] = regs->cs;
	vcpu->arch.sregs[PVMX_SREG_SS] = regs->ss;
	vcpu->arch.sregs[PVMX_SREG_DS] = regs->ds;
	vcpu->arch.sregs[PVMX_SREG_FS] = regs->fs;
	vcpu->arch.sregs[PVMX_SREG_GS] = regs->gs;
	vcpu->arch.state_dirty = true;
	pvmx_build_vcpu_tables(vcpu);
	return 0;
}

void pvmx_arch_get_regs(struct pvmx_vcpu *vcpu, struct pvmx_regs *regs)
{
	const struct pvmx_cpu *cpu = &vcpu->core.cpu;

	regs->eax = cpu->gpr[PVMX_EAX];
	regs->ebx = cpu->gpr[PVMX_EBX];
	regs->ecx = cpu->gpr[PVMX_ECX];
	regs->edx = cpu->gpr[PVMX_EDX];
	regs->esi = cpu->gpr[PVMX_ESI];
	regs->edi = cpu->gpr[PVMX_EDI];
	regs->ebp = cpu->gpr[PVMX_EBP];
	regs->esp = cpu->gpr[PVMX_ESP];
	regs->eip = cpu->eip;
	regs->eflags = cpu->eflags;
	regs->cs = vcpu->arch.sregs[PVMX_SREG_CS];
	regs->ss = vcpu->arch.sregs[PVMX_SREG_SS];
	regs->ds = vcpu->arch.sregs[PVMX_SREG_DS];
	regs->es = vcpu->arch.sregs[PVMX_SREG_ES];
	regs->fs = vcpu->arch.sregs[PVMX_SREG_FS];
	regs->gs = vcpu->arch.sregs[PVMX_SREG_GS];
	regs->cr3 = cpu->cr3;
	regs->kernel_ss = cpu->kernel_ss;
	regs->kernel_sp = cpu->kernel_sp;
}

/*
 * SET_REGS keeps the state in software (the VMCS may be active on another
 * CPU while the ioctl runs); the next stretch writes it.  VMCS current.
 */
static void vmcs_write_guest_state(struct pvmx_vcpu *vcpu)
{
	const struct pvmx_cpu *cpu = &vcpu->core.cpu;
	struct pvmx_seg seg;
	int i;

	for (i = PVMX_SREG_ES; i <= PVMX_SREG_GS; i++) {
		pvmx_guest_segment(&vcpu->core, vcpu->arch.sregs[i], &seg);
		pvmx_write_guest_segment(i, &seg);
	}
	vmcs_write(GUEST_CR3, cpu->cr3);
	vmcs_write(GUEST_PDPTR0, cpu->pdpte[0]);
	vmcs_write(GUEST_PDPTR1, cpu->pdpte[1]);
	vmcs_write(GUEST_PDPTR2, cpu->pdpte[2]);
	vmcs_write(GUEST_PDPTR3, cpu->pdpte[3]);
	/* CS and SS are checked as a pair before the first entry (sync_cs_ss()). */
	vcpu->arch.cs_ss_stale = true;
	/* Force the first entry to write ESP and EFLAGS. */
	vcpu->arch.vmcs_esp = ~(u32)cpu->gpr[PVMX_ESP];
	vcpu->arch.vmcs_eflags = ~cpu->eflags;
	pvmx_arch_set_fpu_ts(&vcpu->core, vcpu->core.fpu_ts);
	vcpu->arch.state_dirty = false;
}

/* Reads back the selectors the guest may have loaded itself.  VMCS current. */
static void vmcs_read_guest_selectors(struct pvmx_vcpu *vcpu)
{
	int i;

	for (i = PVMX_SREG_ES; i <= PVMX_SREG_GS; i++)
		vcpu->arch.sregs[i] = vmcs_read(GUEST_ES_SELECTOR + 2 * i);
}

/* ---- running -------------------------------------------------------------- */

struct pvmx_host_segments {
	u16 ds, es, fs, gs, ldt;
	unsigned long fs_base, kernel_gs_base;
	unsigned long debugctl;
};

static void save_host_segments(struct pvmx_vcpu *vcpu, struct pvmx_host_segments *h)
{
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	/* A process that used modify_ldt(2) has an LDT loaded (KVM's kvm_read_ldt()). */
	asm volatile("sldt %0" : "=g" (h->ldt));
	rdmsrl(MSR_FS_BASE, h->fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	h->debugctl = get_debugctlmsr();
	vmcs_write(HOST_FS_BASE, h->fs_base);
}

/*
 * VM exits load null DS/ES/FS/GS and LDTR, limit GDTR/TR, clear DR7 and
 * DEBUGCTL.  LDTR first: the selectors may name the process's LDT.
 */
static void restore_host_segments(const struct pvmx_host_segments *h)
{
	if (h->ldt)
		asm volatile("lldt %0" : : "rm" (h->ldt));
	if (h->ds)
		loadsegment(ds, h->ds);
	if (h->es)
		loadsegment(es, h->es);
	if (h->fs) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->gs) {
		load_gs_index(h->gs);
		wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	}
	invalidate_tss_limit();
	load_fixmap_gdt(raw_smp_processor_id());
	if (h->debugctl)
		update_debugctlmsr(h->debugctl);
#ifdef CONFIG_HAVE_HW_BREAKPOINT
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
#endif
}

static void sync_host_control_regs(struct pvmx_vcpu *vcpu)
{
	unsigned long cr3 = __get_current_cr3_fast();
	unsigned long cr4 = cr4_read_shadow();

	if (unlikely(cr3 != vcpu->arch.host_cr3)) {
		vmcs_write(HOST_CR3, cr3);
		vcpu->arch.host_cr3 = cr3;
	}
	if (unlikely(cr4 != vcpu->arch.host_cr4)) {
		vmcs_write(HOST_CR4, cr4);
		vcpu->arch.host_cr4 = cr4;
	}
}

static enum pvmx_action vmentry_failed(struct pvmx_vcpu *vcpu)
{
	struct pvmx_run *run = vcpu->core.run;
	u32 error = vmcs_read(VM_INSTRUCTION_ERROR);

	pr_warn_ratelimited("pvmx: VM entry failed: VM-instruction error %u\n", error);
	memset(&run->internal, 0, sizeof(run->internal));
	run->internal.suberror = PVMX_INTERNAL_VMENTRY_FAIL;
	run->internal.data[0] = error;
	run->exit_reason = PVMX_EXIT_INTERNAL;
	vcpu->core.state = PVMX_VCPU_CRASHED;
	return PVMX_EXIT_TO_USER;
}

#define SEG_AR_ACCESSED	0x1
#define SEG_AR_RW		0x2	/* code: readable, data: writable */
#define SEG_AR_CONFORMING	0x4
#define SEG_AR_CODE		0x8
#define SEG_AR_S			0x10
#define SEG_AR_DPL(ar)		(((ar) >> 5) & 3)
#define SEG_AR_P			0x80

/*
 * The #GP error code a hardware iret to cs:ss raises (SDM IRET, return to
 * an outer or the same level from ring 0), or -1 when it can return there.
 * It implies what VM entry checks for a 32-bit guest's CS and SS (SDM
 * 26.3.1.2: accessed code with CS.DPL = SS.DPL, or <= for conforming code;
 * accessed writable data with SS.RPL = SS.DPL = CS.RPL), so a pair it
 * accepts never fails VM entry.
 */
static int return_fault(u16 csel, const struct pvmx_seg *cs, u16 ssel, const struct pvmx_seg *ss)
{
	u32 rpl = csel & 3, ct = cs->ar & 0xF, st = ss->ar & 0xF;

	if ((cs->ar & PVMX_AR_UNUSABLE) || !(cs->ar & SEG_AR_S) || !(cs->ar & SEG_AR_P) || !rpl ||
	    !(ct & SEG_AR_CODE) || !(ct & SEG_AR_ACCESSED) ||
	    ((ct & SEG_AR_CONFORMING) ? SEG_AR_DPL(cs->ar) > rpl : SEG_AR_DPL(cs->ar) != rpl))
		return csel & 0xFFFC;
	if ((ss->ar & PVMX_AR_UNUSABLE) || !(ss->ar & SEG_AR_S) || !(ss->ar & SEG_AR_P) ||
	    (ssel & 3) != rpl || (st & SEG_AR_CODE) || !(st & SEG_AR_RW) ||
	    !(st & SEG_AR_ACCESSED) || SEG_AR_DPL(ss->ar) != rpl)
		return ssel & 0xFFFC;
	return -1;
}

/*
 * A bounce frame, callback, iret or stack_switch may have switched rings
 * or stacks: CS and SS into the VMCS, for the entry that follows.  The core
 * checks each selector on its own, not the pair: a trap-table or callback
 * CS of ring 3 entered from ring 1, a stack_switch SS of ring 3, an iret to
 * CS ring 3 with SS ring 1 or 2.  Xen returns to its guest with an iretq,
 * which faults on such a pair; the fault is taken as the guest's own #GP
 * with that context as the interrupted one (entry.S,
 * exception_with_ints_disabled: "Check to see if the exception was on the
 * IRET to guest context").  pvmx does the same before VM entry, where VMX
 * would refuse the pair.  If the #GP's own frame cannot be returned to
 * either, Xen faults again for ever; pvmx crashes the guest.
 */
static noinline enum pvmx_action load_cs_ss(struct pvmx_vcpu *vcpu, enum pvmx_action act)
{
	struct pvmx_cpu *cpu = &vcpu->core.cpu;
	struct pvmx_seg cs, ss;
	u16 bad_cs, bad_ss;
	u32 bad_eip;
	int err;

	pvmx_guest_segment(&vcpu->core, cpu->cs, &cs);
	pvmx_guest_segment(&vcpu->core, cpu->ss, &ss);
	err = return_fault(cpu->cs, &cs, cpu->ss, &ss);
	if (unlikely(err >= 0)) {
		/* Not entering now (an exit to userspace): the next stretch looks again. */
		if (act != PVMX_RESUME)
			return act;
		bad_cs = cpu->cs;
		bad_ss = cpu->ss;
		bad_eip = cpu->eip;
		act = pvmx_deliver_exception(&vcpu->core, X86_TRAP_GP, true, err);
		if (act != PVMX_RESUME)
			return act;
		pvmx_guest_segment(&vcpu->core, cpu->cs, &cs);
		pvmx_guest_segment(&vcpu->core, cpu->ss, &ss);
		if (return_fault(cpu->cs, &cs, cpu->ss, &ss) >= 0)
			return pvmx_crash(&vcpu->core, PVMX_CRASH_BAD_STATE, X86_TRAP_GP, err, 0,
					  "cannot return to %04x:%08x on stack %04x (#GP 0x%x), nor to the #GP handler at %04x:%08x on stack %04x",
					  bad_cs, bad_eip, bad_ss, err, cpu->cs, cpu->eip,
					  cpu->ss);
	}
	pvmx_write_guest_segment(PVMX_SREG_CS, &cs);
	pvmx_write_guest_segment(PVMX_SREG_SS, &ss);
	vcpu->arch.vmcs_cs = cpu->cs;
	vcpu->arch.vmcs_ss = cpu->ss;
	vcpu->arch.cs_ss_stale = false;
	return act;
}

/* The common case, inline: CS and SS are what the VMCS holds. */
static __always_inline enum pvmx_action sync_cs_ss(struct pvmx_vcpu *vcpu, enum pvmx_action act)
{
	const struct pvmx_cpu *cpu = &vcpu->core.cpu;

	if (likely(cpu->cs == vcpu->arch.vmcs_cs && cpu->ss == vcpu->arch.vmcs_ss &&
		   !vcpu->arch.cs_ss_stale))
		return act;
	return load_cs_ss(vcpu, act);
}

static void host_nmi_or_mce(struct pvmx_vcpu *vcpu)
{
	u32 reason = vcpu->arch.exit_reason & 0xFFFF, info = vcpu->arch.exit_intr_info;
	bool exception = reason == EXIT_REASON_EXCEPTION_NMI;

	if (exception && (info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR) {
		asm volatile("int $2");
	} else if (reason == EXIT_REASON_MCE_DURING_VMENTRY ||
		   (exception && (info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC)) {
#ifdef CONFIG_X86_MCE
		/* As KVM does: the host's handler, as if from user mode. */
		struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

		do_machine_check(&regs);
#endif
	}
}

/*
 * The guest's breakpoints, armed for the entry that follows (interrupts
 * off): GUEST_DR7 is loaded by VM entry, DR0-3 must be in the CPU, as
 * Xen's activate_debugregs() loads them while the guest's DR7 is active.
 * The host's DR7 goes first, so no host breakpoint is ever armed on a
 * guest address (KVM's order).  Only while the guest has a breakpoint
 * enabled: DR0-3 are reloaded before every entry then, as an interrupt
 * handler may have installed a host breakpoint since the last one.
 */
static void load_guest_debugregs(struct pvmx_vcpu *vcpu)
{
	const u32 *dr = vcpu->core.dr;
	u32 dr7 = pvmx_hw_dr7(&vcpu->core);

	if (unlikely(dr7 != vcpu->arch.vmcs_dr7)) {
		vmcs_write(GUEST_DR7, dr7);
		vcpu->arch.vmcs_dr7 = dr7;
	}
	if (likely(!(dr7 & PVMX_DR7_ENABLES)))
		return;
	set_debugreg(0UL, 7);
	set_debugreg((unsigned long)dr[0], 0);
	set_debugreg((unsigned long)dr[1], 1);
	set_debugreg((unsigned long)dr[2], 2);
	set_debugreg((unsigned long)dr[3], 3);
}

/*
 * Right after an exit (interrupts off): the exit left DR7 at 0x400 and,
 * if the guest had breakpoints, its addresses in DR0-3; the host's
 * breakpoints are back before any host code could need them.  The guest's
 * DR6 is not in the CPU: a #DB exit reports its bits in the exit
 * qualification and leaves DR6 alone.
 */
static void restore_host_debugregs(void)
{
#ifdef CONFIG_HAVE_HW_BREAKPOINT
	if (unlikely(hw_breakpoint_active()))
		hw_breakpoint_restore();
#endif
}

static void account_exit(struct pvmx_vcpu *vcpu, u64 exit_tsc)
{
	struct pvmx_stats *st = &vcpu->core.stats;
	u32 reason = vcpu->arch.exit_reason & 0xFFFF;

	st->exits++;
	if (reason < PVMX_STATS_EXIT_REASONS) {
		st->exit_count[reason]++;
		if (unlikely(exit_tsc))
			st->exit_cycles[reason] += rdtsc() - exit_tsc;
	}
}

/*
 * L1TF: the L1D flushed before VM entry (spec.c says when), interrupts
 * off, as close to the entry as the VMCS writes allow: KVM's
 * vmx_vcpu_enter_exit().  The VERW of MDS follows in vmenter.S.
 */
static __always_inline void l1d_flush_before_entry(struct pvmx_vcpu *vcpu)
{
	bool flush;

	if (!static_branch_unlikely(&pvmx_l1d_flush_key))
		return;
	if (static_branch_likely(&pvmx_l1d_flush_cond_key)) {
		flush = vcpu->arch.l1d_flush_pending;
		vcpu->arch.l1d_flush_pending = false;
#if IS_ENABLED(CONFIG_KVM_INTEL)
		/* A host interrupt or softirq since the last entry (irq_stat). */
		flush |= kvm_get_cpu_l1tf_flush_l1d();
		kvm_clear_cpu_l1tf_flush_l1d();
#endif
		if (!flush)
			return;
	}
	pvmx_spec_l1d_flush();
}

/*
 * vmentry_l1d_flush=cond: every exit but CPUID's (registers and the VM's
 * own policy) and an external interrupt's (its handler sets the kernel's
 * per-CPU flag) ran host code over guest memory and host state.
 */
static __always_inline void l1d_flush_after_exit(struct pvmx_vcpu *vcpu)
{
	u32 reason = vcpu->arch.exit_reason & 0xFFFF;

	if (static_branch_unlikely(&pvmx_l1d_flush_cond_key) &&
	    reason != EXIT_REASON_CPUID && reason != EXIT_REASON_EXTERNAL_INTERRUPT)
		vcpu->arch.l1d_flush_pending = true;
}

/*
 * Exits handled with interrupts still off and the guest re-entered at
 * once, KVM's fastpath exits (vmx_exit_handlers_fastpath(),
 * EXIT_FASTPATH_REENTER_GUEST in vcpu_enter_guest()).  Called by the run
 * loop right after a CPUID exit with CPUID faulting off (interrupts off,
 * in_guest cleared, the host debug registers back, the exit counted in
 * vcpu->exits); it handles CPUID exits for as long as they come and the
 * conditions below hold, and returns with the run loop's state after an
 * exit it did not handle: the exit reason in vcpu->arch.exit_reason, the
 * rest still in the VMCS.  True when a VM entry failed (in_guest cleared;
 * the run loop reports it).
 *
 * The run loop's full path between an exit and the next entry looks at
 * more than the exit; each of those looks is either repeated here or
 * cannot have changed since the full path made it, because interrupts
 * have stayed off since then and a CPUID exit changes nothing but EIP and
 * four GPRs (Documentation/design.rst, "The fast exit"):
 *
 * - pvmx_prepare_entry(): its idle test, pvmx_entry_idle(), repeated
 *   here (the entry_work word and the vcpu_info upcall bytes the guest
 *   writes without an exit), with the kick flag;
 * - the host's need_resched, signals and softirqs: looked at here, as the
 *   full path does with interrupts off;
 * - CS/SS, ESP, EFLAGS: CPUID changes none of them, and the VMCS holds the
 *   guest's own (the entry writes only RIP);
 * - the host CR3/CR4, the guest's DR7 and TSC_AUX: changed only by a
 *   context switch, an interrupt handler or a hypercall, none of which ran;
 * - the guest's DR0-3: a guest with a breakpoint enabled takes the full
 *   path, which loads them before every entry (the host's may be back in
 *   the CPU after an exit: restore_host_debugregs());
 * - the descriptor reload and the mm requests (a remote vCPU's flush):
 *   looked at here, as before every entry;
 * - the L1D flush: CPUID needs none (l1d_flush_after_exit()); an always
 *   flush stays before every entry;
 * - tracing and cycle accounting: the full path takes the exits while the
 *   pvmx_exit tracepoint or cycle_stats is on, from the first exit that is
 *   not a CPUID after either is switched on (a host timer interrupt at the
 *   latest: it exits).
 */
static noinline bool fast_exits(struct pvmx_vcpu *vcpu)
{
	struct pvmx_cpu *cpu = &vcpu->core.cpu;
	struct pvmx_stats *st = &vcpu->core.stats;

	if (trace_pvmx_exit_enabled() || READ_ONCE(pvmx_cycle_stats) ||
	    (vcpu->arch.vmcs_dr7 & PVMX_DR7_ENABLES))
		return false;
	do {
		if (host_preempt_pending() || READ_ONCE(vcpu->kicked) ||
		    !pvmx_entry_idle(&vcpu->core))
			return false;
		pvmx_fast_cpuid(vcpu);
		st->exits++;
		st->exit_count[EXIT_REASON_CPUID]++;

		if (unlikely(vcpu->arch.desc_dirty))
			pvmx_load_desc_state(vcpu);
		__atomic_store_n(&vcpu->core.in_guest, 1, __ATOMIC_SEQ_CST);
		if (unlikely(READ_ONCE(vcpu->core.mm_requests)))
			pvmx_mm_before_entry(&vcpu->core);
		vmcs_write(GUEST_RIP, cpu->eip);
		l1d_flush_before_entry(vcpu);
		if (unlikely(pvmx_vmx_enter(cpu->gpr, &vcpu->arch.host_rsp, true))) {
			WRITE_ONCE(vcpu->core.in_guest, 0);
			return true;
		}
		restore_host_debugregs();
		WRITE_ONCE(vcpu->core.in_guest, 0);
		vcpu->exits++;
		vcpu->arch.exit_reason = vmcs_read(VM_EXIT_REASON);
	} while (vcpu->arch.exit_reason == EXIT_REASON_CPUID);
	return false;
}

/* One stretch of guest execution on this CPU; see the comment at the top. */
static enum pvmx_action run_stretch(struct pvmx_vcpu *vcpu)
{
	struct pvmx_cpu *cpu = &vcpu->core.cpu;
	struct pvmx_host_segments host;
	bool tsc_aux = vcpu->vm->core.tsc_aux_msr;
	u64 host_tsc_aux = 0, hw_tsc_aux = 0;
	enum pvmx_action act;
	u64 exit_tsc;

	preempt_disable();
	vcpu_load(vcpu);
	/* The thread may have slept or run other code since its last entry. */
	vcpu->arch.l1d_flush_pending = true;
	if (vcpu->arch.state_dirty)
		vmcs_write_guest_state(vcpu);
	save_host_segments(vcpu, &host);
	pvmx_update_time_info(&vcpu->core);
	kernel_fpu_begin();
	asm volatile("fxrstor %0" : : "m" (*vcpu->arch.fpu));
	/*
	 * The guest's TSC_AUX for the stretch, the host's (its CPU and node
	 * for the vDSO's getcpu) back before preemption is enabled: the host
	 * kernel itself does not read it (KVM defers the restore to the
	 * return to userspace).
	 */
	if (tsc_aux) {
		rdmsrl(MSR_TSC_AUX, host_tsc_aux);
		hw_tsc_aux = host_tsc_aux;
	}

	for (;;) {
		/* A kick from now on is seen below, with interrupts off. */
		WRITE_ONCE(vcpu->kicked, false);
		smp_mb();	/* cleared before looking; pairs with pvmx_host_kick() */
		/* Queued events, and the upcall if one is deliverable now. */
		act = sync_cs_ss(vcpu, pvmx_prepare_entry(&vcpu->core));
		if (act != PVMX_RESUME)
			break;

		local_irq_disable();
		if (host_preempt_pending()) {
			local_irq_enable();
			act = PVMX_RESUME;
			break;
		}
		if (READ_ONCE(vcpu->kicked)) {
			/* Another vCPU or a timer changed our events after we looked. */
			local_irq_enable();
			continue;
		}
		if (unlikely(vcpu->arch.desc_dirty))
			pvmx_load_desc_state(vcpu);
		/*
		 * From here to the exit remote vCPUs wait for us before relying
		 * on a flush or base reload they request (see mm.c).
		 */
		__atomic_store_n(&vcpu->core.in_guest, 1, __ATOMIC_SEQ_CST);
		/* in_guest is set (a full barrier): a plain look, a call only with work. */
		if (unlikely(READ_ONCE(vcpu->core.mm_requests)))
			pvmx_mm_before_entry(&vcpu->core);
		sync_host_control_regs(vcpu);
		load_guest_debugregs(vcpu);
		if (tsc_aux && unlikely(vcpu->core.tsc_aux != hw_tsc_aux)) {
			hw_tsc_aux = vcpu->core.tsc_aux;
			wrmsrl(MSR_TSC_AUX, hw_tsc_aux);
		}
		/* RIP almost always moved; ESP and EFLAGS only on frames and iret. */
		vmcs_write(GUEST_RIP, cpu->eip);
		if ((u32)cpu->gpr[PVMX_ESP] != vcpu->arch.vmcs_esp)
			vmcs_write(GUEST_RSP, (u32)cpu->gpr[PVMX_ESP]);
		if (cpu->eflags != vcpu->arch.vmcs_eflags)
			vmcs_write(GUEST_RFLAGS, cpu->eflags);
		l1d_flush_before_entry(vcpu);
		if (pvmx_vmx_enter(cpu->gpr, &vcpu->arch.host_rsp, vcpu->arch.launched)) {
			WRITE_ONCE(vcpu->core.in_guest, 0);
			restore_host_debugregs();
			local_irq_enable();
			act = vmentry_failed(vcpu);
			break;
		}
		/* Cycle accounting only when asked for (pvmx_cycle_stats). */
		exit_tsc = unlikely(READ_ONCE(pvmx_cycle_stats)) ? rdtsc() : 0;
		restore_host_debugregs();
		WRITE_ONCE(vcpu->core.in_guest, 0);
		vcpu->arch.launched = true;
		vcpu->exits++;
		vcpu->arch.exit_reason = vmcs_read(VM_EXIT_REASON);
		/* CPUID faulting makes the result depend on the CPL: the full path. */
		if (vcpu->arch.exit_reason == EXIT_REASON_CPUID && !vcpu->core.cpuid_faulting &&
		    unlikely(fast_exits(vcpu))) {
			local_irq_enable();
			act = vmentry_failed(vcpu);
			break;
		}
		vcpu->arch.exit_intr_info = vmcs_read(VM_EXIT_INTR_INFO);
		l1d_flush_after_exit(vcpu);
		/* NMIs and machine checks that exited are the host's: hand them over. */
		host_nmi_or_mce(vcpu);
		local_irq_enable();

		/* What the VMCS holds now, and the core's copy of it. */
		vcpu->arch.vmcs_esp = vmcs_read(GUEST_RSP);
		vcpu->arch.vmcs_eflags = vmcs_read(GUEST_RFLAGS);
		vcpu->arch.vmcs_cs = vmcs_read(GUEST_CS_SELECTOR);
		vcpu->arch.vmcs_ss = vmcs_read(GUEST_SS_SELECTOR);
		cpu->eip = vmcs_read(GUEST_RIP);
		cpu->gpr[PVMX_ESP] = vcpu->arch.vmcs_esp;
		cpu->eflags = vcpu->arch.vmcs_eflags;
		cpu->cs = vcpu->arch.vmcs_cs;
		cpu->ss = vcpu->arch.vmcs_ss;
		trace_pvmx_exit(vcpu->core.id, vcpu->arch.exit_reason, cpu->eip,
				vcpu->arch.exit_intr_info);
		act = sync_cs_ss(vcpu, pvmx_handle_exit(vcpu));
		account_exit(vcpu, exit_tsc);
		if (act != PVMX_RESUME)
			break;
	}

	/* The guest may have moved on since the last entry: keep what GET_REGS shows. */
	vmcs_read_guest_selectors(vcpu);
	if (hw_tsc_aux != host_tsc_aux)
		wrmsrl(MSR_TSC_AUX, host_tsc_aux);
	asm volatile("fxsave %0" : "=m" (*vcpu->arch.fpu));
	kernel_fpu_end();
	restore_host_segments(&host);
	/* On the CPU that ran the guest, before another task can run here. */
	pvmx_spec_stretch_end();
	preempt_enable();
	return act;
}

int pvmx_arch_run(struct pvmx_vcpu *vcpu)
{
	struct pvmx_run *run = vcpu->core.run;
	enum pvmx_action act;

	run->exit_reason = PVMX_EXIT_NONE;
	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = PVMX_EXIT_INTR;
			return 0;
		}
		if (READ_ONCE(vcpu->vm->core.ended))
			return 0;	/* PVMX_EXIT_NONE: the caller reports the VM's end */
		if (!pvmx_vcpu_may_run(&vcpu->core)) {
			/* Down: wait for VCPUOP_up; a signal is seen above. */
			pvmx_host_vcpu_wait_up(vcpu);
			continue;
		}
		act = run_stretch(vcpu);
		switch (act) {
		case PVMX_EXIT_TO_USER:
			return 0;
		case PVMX_YIELD:
			/* SCHEDOP_yield: what sched_yield() does for a thread. */
			yield();
			break;
		case PVMX_BLOCK:
			pvmx_host_vcpu_wait(vcpu);	/* a signal is seen above */
			break;
		case PVMX_OFFLINE:
			break;			/* the wait for VCPUOP_up is above */
		default:
			cond_resched();
		}
	}
}

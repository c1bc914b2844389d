// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX back end's host side: the capability checks at load, VMX on/off
 * across CPUs and hotplug (with the per-CPU list of the VMCSs active on each
 * CPU, which VMX off clears), the emergency-reboot hook, the coexistence
 * with kvm_intel, and the back end's init/exit.  EPT is in ept.c, a vCPU's
 * creation and registers in vcpu.c, the run loop in run.c.
 *
 * VMX is switched on for every online CPU when the first VM is created and
 * off when the last VM is released (and for CPUs that come online meanwhile),
 * so another hypervisor can use VMX whenever pvmx has no VM.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/reboot.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include "vmx_ops.h"

#define PVMX_REMEDY_KVM	"unload kvm_intel, or load kvm with enable_virt_at_load=0"

struct pvmx_caps pvmx_caps;

DEFINE_PER_CPU(struct pvmx_percpu, pvmx_pcpu);
static DEFINE_MUTEX(pvmx_enable_lock);
static unsigned int pvmx_users;		/* VMs alive; VMX is on while > 0 */
static unsigned int pvmx_nr_vms;
static enum cpuhp_state pvmx_hp_state;

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

	rdmsrl(MSR_IA32_VMX_BASIC, pvmx_caps.basic);
	if (VMX_BASIC_SIZE(pvmx_caps.basic) > PAGE_SIZE ||
	    VMX_BASIC_MEMTYPE(pvmx_caps.basic) != VMX_MEMTYPE_WB) {
		pr_err("pvmx: cannot load: unsupported VMCS region (IA32_VMX_BASIC=0x%llx): need size <= 4096 and write-back memory\n",
		       pvmx_caps.basic);
		return -ENODEV;
	}
	true_ctls = pvmx_caps.basic & VMX_BASIC_HAS_TRUE_CTLS;

	ret = adjust_controls(PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING, 0,
			      true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
					  MSR_IA32_VMX_PINBASED_CTLS,
			      &pvmx_caps.pin, "pin-based");
	if (ret)
		return ret;
	ret = adjust_controls(CPU_BASED_UNCOND_IO_EXITING |
			      CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			      CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING,
			      true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
					  MSR_IA32_VMX_PROCBASED_CTLS,
			      &pvmx_caps.proc, "processor-based");
	if (ret)
		return ret;
	if (pvmx_caps.proc & (CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING)) {
		pr_err("pvmx: cannot load: the CPU forces CR3 exiting (no TRUE VMX controls)\n");
		return -ENODEV;
	}
	ret = adjust_controls(SECONDARY_EXEC_ENABLE_EPT,
			      SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP,
			      MSR_IA32_VMX_PROCBASED_CTLS2, &pvmx_caps.proc2, "secondary");
	if (ret)
		return ret;
	ret = adjust_controls(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_EFER, 0,
			      true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
			      &pvmx_caps.exit, "VM-exit");
	if (ret)
		return ret;
	/* Guest DR7 and DEBUGCTL from the VMCS: default1, so every VMX CPU has it. */
	ret = adjust_controls(VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_DEBUG_CONTROLS, 0,
			      true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
			      &pvmx_caps.entry, "VM-entry");
	if (ret)
		return ret;
	if (pvmx_caps.entry & VM_ENTRY_IA32E_MODE) {
		pr_err("pvmx: cannot load: the CPU cannot enter 32-bit guests\n");
		return -ENODEV;
	}

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, pvmx_caps.ept_vpid);
	if (!(pvmx_caps.ept_vpid & EPTCAP_WALK4) || !(pvmx_caps.ept_vpid & EPTCAP_WB) ||
	    !(pvmx_caps.ept_vpid & EPTCAP_INVEPT) ||
	    !(pvmx_caps.ept_vpid & (EPTCAP_INVEPT_SINGLE | EPTCAP_INVEPT_ALL))) {
		pr_err("pvmx: cannot load: EPT lacks a 4-level walk, write-back memory or INVEPT (IA32_VMX_EPT_VPID_CAP=0x%llx)\n",
		       pvmx_caps.ept_vpid);
		return -ENODEV;
	}
	pvmx_caps.vpid = (pvmx_caps.proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
			 (pvmx_caps.ept_vpid & VPIDCAP_INVVPID) &&
			 (pvmx_caps.ept_vpid & (VPIDCAP_INVVPID_SINGLE | VPIDCAP_INVVPID_ALL));
	if (!pvmx_caps.vpid)
		pvmx_caps.proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, pvmx_caps.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, pvmx_caps.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, pvmx_caps.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, pvmx_caps.cr4_fixed1);
	return 0;
}

/*
 * RDTSCP and RDPID (both need the "enable RDTSCP" control; without it they
 * are #UD): offered to the guest as Xen offers them to PV guests, which
 * run them natively, with the guest's own TSC_AUX (emulate.c, 0 until the
 * guest writes it), loaded for the stretch (run.c, run_stretch()).
 * Without the control the CPUID policy hides both (exits.c).
 */
bool pvmx_has_vmx_rdtscp(void)
{
	return pvmx_caps.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP;
}

int pvmx_vmx_check_cap(unsigned long cap)
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
		return pvmx_caps.vpid;
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

void pvmx_vmx_get_info(struct pvmx_vmx_info *info)
{
	int cpu;

	memset(info, 0, sizeof(*info));
	info->vmx_basic = pvmx_caps.basic;
	info->ept_vpid_cap = pvmx_caps.ept_vpid;
	info->pinbased = pvmx_caps.pin;
	info->procbased = pvmx_caps.proc;
	info->procbased2 = pvmx_caps.proc2;
	info->exit_ctls = pvmx_caps.exit;
	info->entry_ctls = pvmx_caps.entry;
	info->vmcs_revision = VMX_BASIC_REVISION(pvmx_caps.basic);
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

void pvmx_vmcs_clear_ipi(void *vcpu)
{
	vmcs_clear_here(vcpu);
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

int pvmx_vmx_enable(void)
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

void pvmx_vmx_disable(void)
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

int pvmx_vmx_init(void)
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
		pc->vmxon_region->revision_id = VMX_BASIC_REVISION(pvmx_caps.basic);
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

void pvmx_vmx_exit(void)
{
	int cpu;

	unregister_module_notifier(&pvmx_module_nb);
	cpuhp_remove_state(pvmx_hp_state);
	for_each_possible_cpu(cpu)
		free_page((unsigned long)per_cpu(pvmx_pcpu, cpu).vmxon_region);
	ida_destroy(&pvmx_vpids);
	pvmx_spec_exit();
}

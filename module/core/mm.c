// SPDX-License-Identifier: GPL-2.0
/*
 * Xen's direct paging for 32-bit PAE PV guests: page types and the
 * page-table hypercalls (mmu_update, mmuext_op, update_va_mapping).
 *
 * The guest's PAE tables are the ones the CPU walks (guest frame numbers are
 * the machine frame numbers the guest sees).  Every RAM frame has a type
 * (struct pvmx_frame): L1, L2, L3, a descriptor page, or writable.  A frame
 * becomes a page table only through validation, which checks every entry and
 * takes a reference on what each entry names (a writable reference for an
 * RW mapping, an L1/L2 type reference for a table); it stays one while
 * references hold the type.  A frame with a page-table or descriptor type can
 * never be mapped writable, and a frame mapped writable anywhere can never be
 * typed, so the guest changes its tables only through the hypercalls here.
 *
 * All of this runs with the VM lock held (one vCPU in here at a time; the
 * entry points assert it) and never sleeps.  Other vCPUs may be running
 * guest code meanwhile: when a frame changes type, or an L3 that a vCPU has
 * loaded changes, they get a request (vcpu->mm_requests) that the arch
 * carries out before its next VM entry, and a vCPU in guest mode is kicked
 * out and waited for, so no CPU keeps a stale writable translation of a
 * frame that is about to become a page table.
 */
#include "core.h"

#ifdef __KERNEL__
#include <asm/processor.h>
#else
#define cpu_relax()	do { } while (0)
#endif

#define L1_ENTRIES		512u
#define PTE_PAT			0x080ULL
#define PTE_GLOBAL		0x100ULL
/*
 * Xen's disallow masks for a domU (no I/O memory): no cache attributes in
 * L1s; no cache attributes, PSE or global in L2s; compat L3s take only P, RW,
 * US, A, D and the address (0xFFFFF198 in Xen's packed flags).
 */
#define L1_DISALLOWED		(PVMX_PTE_RESERVED_HIGH | PVMX_PTE_PWT | PVMX_PTE_PCD | PTE_PAT)
#define L2_DISALLOWED		(PVMX_PTE_RESERVED_HIGH | PVMX_PTE_PWT | PVMX_PTE_PCD | \
				 PVMX_PTE_PS | PTE_GLOBAL)
#define L3_DISALLOWED		(0xFFF0000000000000ULL | PVMX_PTE_PWT | PVMX_PTE_PCD | \
				 PVMX_PTE_PS | PTE_GLOBAL)
/* compat Xen adds these to present L3 entries (adjust_guest_l3e). */
#define L3_ADDED		(PVMX_PTE_RW | PVMX_PTE_US | PVMX_PTE_A | PVMX_PTE_D)
/* Bits whose change needs no new references (Xen's FASTPATH_FLAG_WHITELIST). */
#define PTE_FASTPATH_BITS	(PVMX_PTE_NX | PVMX_PTE_RESERVED_HIGH | 0xE00ULL | PTE_GLOBAL | \
				 PVMX_PTE_D | PVMX_PTE_A | PVMX_PTE_US)
#define PDPTE_BITS		(PVMX_PTE_ADDR | PVMX_PTE_P | PVMX_PTE_PWT | PVMX_PTE_PCD)
#define PAE_XEN_FIRST_SLOT	XEN_L2_FIRST_HYPERVISOR_SLOT
#define DOMID_PT_OWNER_SHIFT	16
/*
 * Xen's -ERESTART: a preemptible validation stopped (the frame is
 * PVMX_FRAME_PARTIAL); the hypercall continues.  Never seen by the guest.
 */
#define PGT_RESTART		(-1000)
/*
 * What one L1's validation (512 entries) counts against the VM-lock hold's
 * budget (pvmx_preempt_check_n()): 8 L1s per hold at the default budget, a
 * few milliseconds (a whole tree of 1536 L1s took 460 ms in one hold).
 */
#define PGT_L1_ITEMS		(PVMX_HOLD_BUDGET / 8)

static int get_type(struct pvmx_vm_core *vm, u32 mfn, enum pvmx_page_type type, bool pae_xen);
static void put_type(struct pvmx_vm_core *vm, u32 mfn, enum pvmx_page_type type);

static u64 pte_mfn(u64 pte)
{
	return (pte & PVMX_PTE_ADDR) >> PVMX_PAGE_SHIFT;
}

static bool is_ram(const struct pvmx_vm_core *vm, u64 mfn)
{
	return mfn < vm->mem.nr_ram_frames;
}

static u64 *table(struct pvmx_vm_core *vm, u32 mfn)
{
	return vm->mem.frames[mfn];
}

/* ---- flushes and requests to vCPUs --------------------------------------- */

/*
 * Ask vCPU t to do `bits` before it next enters the guest.  If it is in guest
 * mode now, kick it out and wait until it has left: from then on it cannot
 * use a translation the request is about.
 */
static void mm_request(struct pvmx_vcpu_core *t, u32 bits)
{
	__atomic_fetch_or(&t->mm_requests, bits, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&t->in_guest, __ATOMIC_SEQ_CST))
		return;
	pvmx_host_kick(t);
	while (__atomic_load_n(&t->in_guest, __ATOMIC_SEQ_CST) &&
	       (__atomic_load_n(&t->mm_requests, __ATOMIC_SEQ_CST) & bits))
		cpu_relax();
}

static void flush_all_vcpus(struct pvmx_vm_core *vm)
{
	u32 i;

	for (i = 0; i < PVMX_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			mm_request(vm->vcpus[i], PVMX_MM_FLUSH_TLB);
}

void pvmx_mm_before_entry(struct pvmx_vcpu_core *v)
{
	u32 req;

	/* in_guest is already set (a full barrier): a plain look suffices. */
	if (!__atomic_load_n(&v->mm_requests, __ATOMIC_SEQ_CST))
		return;
	req = pvmx_xchg32(&v->mm_requests, 0);
	if (req & PVMX_MM_LOAD_BASE)
		pvmx_arch_load_baseptr(v);
	/* Writing CR3 in the VMCS flushes nothing: always flush here. */
	pvmx_arch_flush_guest_tlb(v, 0, false);
}

/* Flush for this vCPU now, for others before they run guest code again. */
static void flush_vcpus(struct pvmx_vcpu_core *v, const u32 *mask, u32 va, bool one)
{
	struct pvmx_vm_core *vm = v->vm;
	u32 i;

	for (i = 0; i < PVMX_MAX_VCPUS; i++) {
		struct pvmx_vcpu_core *t = vm->vcpus[i];

		if (!t || (mask && !(*mask & (1u << i))))
			continue;
		if (t == v)
			pvmx_arch_flush_guest_tlb(v, va, one);
		else
			mm_request(t, PVMX_MM_FLUSH_TLB);
	}
}

/* The PDPTEs as the CPU takes them from an L3 (only P, PWT, PCD and the address). */
static void load_pdptes(struct pvmx_vm_core *vm, u32 l3_mfn, u64 pdpte[4])
{
	const u64 *l3 = table(vm, l3_mfn);
	u32 i;

	for (i = 0; i < 4; i++) {
		u64 e = READ_ONCE(l3[i]);

		WRITE_ONCE(pdpte[i], (e & PVMX_PTE_P) ? e & PDPTE_BITS : 0);
	}
}

/* An L3 entry changed: every vCPU running on that L3 reloads its PDPTEs. */
static void l3_changed(struct pvmx_vm_core *vm, u32 l3_mfn)
{
	u32 i;

	for (i = 0; i < PVMX_MAX_VCPUS; i++) {
		struct pvmx_vcpu_core *t = vm->vcpus[i];

		if (!t || !t->base_ref || t->cpu.cr3 >> PVMX_PAGE_SHIFT != l3_mfn)
			continue;
		load_pdptes(vm, l3_mfn, t->cpu.pdpte);
		t->pt_generation++;
		mm_request(t, PVMX_MM_LOAD_BASE);
	}
}

/* ---- entries and the references they hold --------------------------------- */

/*
 * XSA-273 (L1TF): on an affected CPU a guest access through a not-present
 * entry may speculatively read the L1D line at the entry's address bits
 * taken as a host physical address, untranslated by EPT.  As Xen's
 * pv_l1tf_check_pte() for a PV domU without shadow paging: the address bits
 * (under l1tf_addr_mask) must be 0 or at or above l1tf_safe_maddr, and PSE
 * is refused in a not-present L2/L3 entry (the CPU would consider a
 * superpage); anything else is refused and crashes the VM (domain_crash():
 * the guest never sees the error).  Linux inverts the address of its
 * not-present PTEs (swap entries, PROT_NONE) for exactly this check.
 */
static bool l1tf_unsafe(struct pvmx_vm_core *vm, u32 level, u64 e)
{
	u64 maddr = e & vm->l1tf_addr_mask;

	if (!vm->l1tf_check)
		return false;
	if (!(level > 1 && (e & PVMX_PTE_PS)) && (!maddr || maddr >= vm->l1tf_safe_maddr))
		return false;
	if (!vm->l1tf_bad_level) {
		vm->l1tf_bad_level = level;
		vm->l1tf_bad_pte = e;
	}
	return true;
}

enum pvmx_action pvmx_mm_l1tf_crash(struct pvmx_vcpu_core *v)
{
	struct pvmx_vm_core *vm = v->vm;

	if (likely(!vm->l1tf_bad_level))
		return PVMX_RESUME;
	return pvmx_crash(v, PVMX_CRASH_BAD_MEMORY, ~0u, 0, vm->l1tf_bad_pte,
			  "L1TF-vulnerable L%ue %#018llx", vm->l1tf_bad_level,
			  (unsigned long long)vm->l1tf_bad_pte);
}

/* Xen's get_page_from_l1e for a domU (and alloc_l1_table's not-present check). */
static int get_l1e(struct pvmx_vm_core *vm, u64 e)
{
	u64 mfn = pte_mfn(e);

	if (!(e & PVMX_PTE_P))
		return l1tf_unsafe(vm, 1, e) ? -XEN_EINVAL : 0;
	if (e & L1_DISALLOWED)
		return -XEN_EINVAL;
	/* Not the VM's memory: Xen's "non-privileged attempt to map I/O space". */
	if (!pvmx_gfn_to_host(&vm->mem, mfn))
		return -XEN_EPERM;
	/* RW needs a writable type; shared_info is writable for good. */
	if ((e & PVMX_PTE_RW) && is_ram(vm, mfn) && get_type(vm, mfn, PVMX_PGT_WRITABLE, false))
		return -XEN_EBUSY;
	return 0;
}

static void put_l1e(struct pvmx_vm_core *vm, u64 e)
{
	if ((e & PVMX_PTE_P) && (e & PVMX_PTE_RW) && is_ram(vm, pte_mfn(e)))
		put_type(vm, pte_mfn(e), PVMX_PGT_WRITABLE);
}

/* Xen's get_page_from_l2e for a 32-bit guest: an L1 table, no superpages. */
static int get_l2e(struct pvmx_vm_core *vm, u64 e)
{
	if (!(e & PVMX_PTE_P))
		return l1tf_unsafe(vm, 2, e) ? -XEN_EINVAL : 0;
	if (e & L2_DISALLOWED)
		return -XEN_EINVAL;
	if (!is_ram(vm, pte_mfn(e)))
		return -XEN_EINVAL;
	return get_type(vm, pte_mfn(e), PVMX_PGT_L1, false);
}

static void put_l2e(struct pvmx_vm_core *vm, u64 e)
{
	if ((e & PVMX_PTE_P) && !(e & PVMX_PTE_PS) && is_ram(vm, pte_mfn(e)))
		put_type(vm, pte_mfn(e), PVMX_PGT_L1);
}

static int get_l3e(struct pvmx_vm_core *vm, u64 e, bool pae_xen)
{
	if (e & L3_DISALLOWED)
		return -XEN_EINVAL;
	if (!is_ram(vm, pte_mfn(e)))
		return -XEN_EINVAL;
	return get_type(vm, pte_mfn(e), PVMX_PGT_L2, pae_xen);
}

static void put_l3e(struct pvmx_vm_core *vm, u64 e)
{
	if ((e & PVMX_PTE_P) && is_ram(vm, pte_mfn(e)))
		put_type(vm, pte_mfn(e), PVMX_PGT_L2);
}

static bool is_guest_l2_slot(const struct pvmx_frame *f, u32 slot)
{
	return !(f->flags & PVMX_FRAME_PAE_XEN_L2) || slot < PAE_XEN_FIRST_SLOT;
}

/* ---- validation -------------------------------------------------------- */

/*
 * Xen's hypercall_preempt_check() in alloc_l2_table()/alloc_l3_table(): a
 * preemptible validation (MMUEXT_PIN_*, NEW_BASEPTR) stops between two
 * entries once it has done a batch of work or the host wants the CPU back.
 */
static bool pgt_preempt(struct pvmx_vm_core *vm)
{
	struct pvmx_vcpu_core *v = vm->pgt_preempt;

	return v && pvmx_preempt_check_n(v, 0);
}

static int validate_l1(struct pvmx_vm_core *vm, u32 mfn)
{
	u64 *l1 = table(vm, mfn);
	u32 i;
	int rc;

	if (vm->pgt_preempt)
		vm->pgt_preempt->hold_work += PGT_L1_ITEMS;
	for (i = 0; i < L1_ENTRIES; i++) {
		rc = get_l1e(vm, READ_ONCE(l1[i]));
		if (rc) {
			while (i--)
				put_l1e(vm, READ_ONCE(l1[i]));
			return rc;
		}
	}
	return 0;
}

/*
 * From entry f->nr_validated on (a continuation resumes there): the entries
 * before it hold their references, and the frame's type keeps them as they
 * were.  PGT_RESTART leaves the frame partial, any error undoes it whole.
 */
static int validate_l2(struct pvmx_vm_core *vm, u32 mfn)
{
	struct pvmx_frame *f = &vm->frame_table[mfn];
	u64 *l2 = table(vm, mfn);
	u32 i, start = f->nr_validated;
	int rc;

	for (i = start; i < L1_ENTRIES; i++) {
		if (!is_guest_l2_slot(f, i))
			break;
		/* At least one entry per step: every continuation progresses. */
		if (i > start && pgt_preempt(vm)) {
			f->nr_validated = i;
			return PGT_RESTART;
		}
		rc = get_l2e(vm, READ_ONCE(l2[i]));
		if (rc) {
			while (i--)
				put_l2e(vm, READ_ONCE(l2[i]));
			f->nr_validated = 0;
			return rc;
		}
	}
	f->nr_validated = 0;
	/* Xen's own mappings go in the pae_xen_l2 (create_pae_xen_mappings). */
	if (f->flags & PVMX_FRAME_PAE_XEN_L2)
		pvmx_arch_fill_hv_l2(vm, l2);
	return 0;
}

static int validate_l3(struct pvmx_vm_core *vm, u32 mfn)
{
	struct pvmx_frame *f = &vm->frame_table[mfn];
	u64 *l3 = table(vm, mfn);
	u32 i, start = f->nr_validated;
	int rc = 0;

	for (i = start; i < 4; i++) {
		u64 e = READ_ONCE(l3[i]);

		if (i > start && pgt_preempt(vm)) {
			f->nr_validated = i;
			return PGT_RESTART;
		}
		if (i == 3) {
			/* Slot 3 must be present: its L2 holds Xen's mappings. */
			rc = (e & PVMX_PTE_P) ? get_l3e(vm, e, true) : -XEN_EINVAL;
			/* A pae_xen_l2 belongs to exactly one L3. */
			if (!rc && vm->frame_table[pte_mfn(e)].type_count != 1) {
				put_l3e(vm, e);
				rc = -XEN_EINVAL;
			}
		} else if (e & PVMX_PTE_P) {
			rc = get_l3e(vm, e, false);
		} else if (l1tf_unsafe(vm, 3, e)) {
			rc = -XEN_EINVAL;
		}
		if (rc)
			break;
	}
	if (rc == PGT_RESTART) {
		/*
		 * The L2 of slot i stopped part way (partial itself): no
		 * reference of ours; the continuation's get continues it.
		 */
		f->nr_validated = i;
		return rc;
	}
	f->nr_validated = 0;
	if (rc) {
		/* Slot i took no reference. */
		while (i--)
			put_l3e(vm, READ_ONCE(l3[i]));
		return rc;
	}
	for (i = 0; i < 4; i++)
		if (READ_ONCE(l3[i]) & PVMX_PTE_P)
			WRITE_ONCE(l3[i], READ_ONCE(l3[i]) | L3_ADDED);
	/*
	 * compat Xen points its own L4 at this page: entries 4..511 go (Xen
	 * clears them before validating; after keeps a refused L3 intact).
	 */
	for (i = 4; i < L1_ENTRIES; i++)
		WRITE_ONCE(l3[i], 0);
	return 0;
}

/* The last type reference went: drop what the entries held (Xen's free_page_type). */
static void devalidate(struct pvmx_vm_core *vm, u32 mfn, enum pvmx_page_type type)
{
	const struct pvmx_frame *f = &vm->frame_table[mfn];
	u64 *t = table(vm, mfn);
	u32 i;

	switch (type) {
	case PVMX_PGT_L1:
		for (i = 0; i < L1_ENTRIES; i++)
			put_l1e(vm, READ_ONCE(t[i]));
		break;
	case PVMX_PGT_L2:
		for (i = 0; i < L1_ENTRIES && is_guest_l2_slot(f, i); i++)
			put_l2e(vm, READ_ONCE(t[i]));
		break;
	case PVMX_PGT_L3:
		for (i = 0; i < 4; i++)
			put_l3e(vm, READ_ONCE(t[i]));
		break;
	default:
		break;
	}
}

/* ---- types --------------------------------------------------------------- */

static bool type_matches(const struct pvmx_frame *f, enum pvmx_page_type type, bool pae_xen)
{
	return f->type == type && !!(f->flags & PVMX_FRAME_PAE_XEN_L2) == pae_xen;
}

/*
 * Xen's _get_page_type: -XEN_EINVAL for a frame busy with another type;
 * PGT_RESTART (only under a preemptible validation, vm->pgt_preempt) when
 * the frame was left partial for a continuation.
 */
static int get_type(struct pvmx_vm_core *vm, u32 mfn, enum pvmx_page_type type, bool pae_xen)
{
	struct pvmx_frame *f;
	int rc = 0;

	if (!is_ram(vm, mfn) || type == PVMX_PGT_NONE)
		return -XEN_EINVAL;
	f = &vm->frame_table[mfn];
	if (f->type_count && (f->flags & PVMX_FRAME_PARTIAL)) {
		/*
		 * As Xen's PGT_partial: the reference the stopped validation
		 * kept (type_count 1) goes on with this get, which continues
		 * the validation where it stopped.
		 */
		if (!type_matches(f, type, pae_xen))
			return -XEN_EINVAL;
		f->flags &= ~PVMX_FRAME_PARTIAL;
		goto validate;
	}
	if (f->type_count) {
		/* Held with another type, or still being validated (a loop). */
		if (!type_matches(f, type, pae_xen) || !(f->flags & PVMX_FRAME_VALIDATED) ||
		    f->type_count == ~0u)
			return -XEN_EINVAL;
		f->type_count++;
		return 0;
	}
	/*
	 * A new type: no CPU may keep a translation that the old one allowed
	 * (a writable mapping of a future page table, or the reverse).
	 */
	if (f->type != PVMX_PGT_NONE && !type_matches(f, type, pae_xen))
		flush_all_vcpus(vm);
	f->type = type;
	f->flags = pae_xen ? PVMX_FRAME_PAE_XEN_L2 : 0;
	f->type_count = 1;
	f->nr_validated = 0;
validate:
	switch (type) {
	case PVMX_PGT_L1:
		rc = validate_l1(vm, mfn);
		break;
	case PVMX_PGT_L2:
		rc = validate_l2(vm, mfn);
		break;
	case PVMX_PGT_L3:
		rc = validate_l3(vm, mfn);
		break;
	case PVMX_PGT_SEG_DESC:
		/*
		 * Xen's alloc_segdesc_page, here as there inside the type
		 * change: after the flush above (no stale writable translation
		 * can store into the frame any more) and only once the frame is
		 * known not to be held with another type, so a refused request
		 * writes nothing and a frame already in use is never rewritten.
		 */
		rc = pvmx_validate_desc_frame(vm, mfn);
		break;
	default:
		break;
	}
	if (rc == PGT_RESTART) {
		f->flags |= PVMX_FRAME_PARTIAL;
		return rc;
	}
	if (rc) {
		f->type_count = 0;
		return rc;
	}
	f->flags |= PVMX_FRAME_VALIDATED;
	return 0;
}

static void put_type(struct pvmx_vm_core *vm, u32 mfn, enum pvmx_page_type type)
{
	struct pvmx_frame *f = &vm->frame_table[mfn];

	/*
	 * Every caller holds a reference of this type; anything else is a bug.
	 * Nobody holds the reference of a partial frame.
	 */
	if (!is_ram(vm, mfn) || !f->type_count || f->type != type ||
	    (f->flags & PVMX_FRAME_PARTIAL))
		return;
	if (--f->type_count)
		return;
	if (f->flags & PVMX_FRAME_VALIDATED) {
		f->flags &= ~PVMX_FRAME_VALIDATED;
		devalidate(vm, mfn, type);
	}
}

int pvmx_get_page_type(struct pvmx_vm_core *vm, u32 mfn, enum pvmx_page_type type)
{
	lockdep_assert_held(&vm->lock);
	return get_type(vm, mfn, type, false);
}

void pvmx_put_page_type(struct pvmx_vm_core *vm, u32 mfn)
{
	lockdep_assert_held(&vm->lock);
	if (is_ram(vm, mfn))
		put_type(vm, mfn, vm->frame_table[mfn].type);
}

/*
 * get_type() for a hypercall that can continue (Xen's preemptible
 * get_page_type()): PGT_RESTART when a long validation stopped part way.
 */
static int get_type_preemptible(struct pvmx_vcpu_core *v, u32 mfn, enum pvmx_page_type type)
{
	struct pvmx_vm_core *vm = v->vm;
	int rc;

	vm->pgt_preempt = v;
	rc = get_type(vm, mfn, type, false);
	vm->pgt_preempt = NULL;
	return rc;
}

/* ---- base pointer ---------------------------------------------------------- */

static long new_baseptr(struct pvmx_vcpu_core *v, u32 mfn, bool preemptible)
{
	struct pvmx_vm_core *vm = v->vm;
	u32 old = v->cpu.cr3 >> PVMX_PAGE_SHIFT;
	bool had = v->base_ref;
	int rc;

	if (preemptible)
		rc = get_type_preemptible(v, mfn, PVMX_PGT_L3);
	else
		rc = get_type(vm, mfn, PVMX_PGT_L3, false);
	if (rc)
		return rc;
	v->cpu.cr3 = mfn << PVMX_PAGE_SHIFT;
	v->base_ref = true;
	load_pdptes(vm, mfn, v->cpu.pdpte);
	v->pt_generation++;
	mm_request(v, PVMX_MM_LOAD_BASE);
	if (had)
		put_type(vm, old, PVMX_PGT_L3);
	return 0;
}

long pvmx_new_baseptr(struct pvmx_vcpu_core *v, u32 mfn)
{
	lockdep_assert_held(&v->vm->lock);
	return new_baseptr(v, mfn, false);
}

long pvmx_mm_boot_baseptr(struct pvmx_vcpu_core *v, u64 cr3)
{
	struct pvmx_vm_core *vm = v->vm;
	u32 mfn = cr3 >> PVMX_PAGE_SHIFT;
	struct pvmx_frame *f;
	u32 had_bad;
	int rc;

	lockdep_assert_held(&vm->lock);
	/* A pv32 CR3 names a page frame. */
	if ((cr3 & PVMX_PAGE_OFFSET_MASK) || !is_ram(vm, cr3 >> PVMX_PAGE_SHIFT))
		return -XEN_EINVAL;
	f = &vm->frame_table[mfn];
	/* Xen's builder pins the L3 (MMUEXT_PIN_L3_TABLE); another vCPU may share it. */
	if (!(f->flags & PVMX_FRAME_PINNED) || f->type != PVMX_PGT_L3) {
		had_bad = vm->l1tf_bad_level;
		rc = get_type(vm, mfn, PVMX_PGT_L3, false);
		/* The launcher's tables, not the guest: refused, no crash pending. */
		if (!had_bad)
			vm->l1tf_bad_level = 0;
		if (rc)
			return rc;
		f->flags |= PVMX_FRAME_PINNED;
	}
	return pvmx_new_baseptr(v, mfn);
}

/* ---- checked entry updates (mod_l1_entry and friends) --------------------- */

/* Write an entry; PRESERVE_AD keeps the A/D bits the CPU may be setting. */
static u64 write_entry(u64 *slot, u64 new, bool preserve_ad)
{
	u64 old = READ_ONCE(*slot);

	if (!preserve_ad)
		return __atomic_exchange_n(slot, new, __ATOMIC_SEQ_CST);
	while (!__atomic_compare_exchange_n(slot, &old,
					    new | (old & (PVMX_PTE_A | PVMX_PTE_D)), false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	return old;
}

static bool entry_changed(u64 old, u64 new)
{
	return (old ^ new) & ~PTE_FASTPATH_BITS;
}

static long mod_l1_entry(struct pvmx_vm_core *vm, u64 *slot, u64 new, bool preserve_ad)
{
	u64 old = READ_ONCE(*slot);
	int rc;

	if (new & PVMX_PTE_P) {
		if (new & L1_DISALLOWED)
			return -XEN_EINVAL;
		if (!entry_changed(old, new)) {
			write_entry(slot, new, preserve_ad);
			return 0;
		}
		rc = get_l1e(vm, new);
		if (rc)
			return rc;
	} else if (l1tf_unsafe(vm, 1, new)) {
		return -XEN_EINVAL;
	}
	old = write_entry(slot, new, preserve_ad);
	put_l1e(vm, old);
	return 0;
}

/*
 * ptwr.c: the guest stored into entry `slot` of the L1 at mfn through a
 * read-only mapping (VMASST_TYPE_writable_pagetables).  The new value is
 * checked and referenced exactly as mod_l1_entry() does, then swapped in only
 * if the entry still holds *expected (the value the store was merged with,
 * or a guest cmpxchg's comparand): as Xen's ptwr_emulated_update(), a
 * refused value is refused whether or not the comparison would hold.
 * 0: written; 1: the entry held something else, now in *expected, nothing
 * written; or a negated Xen errno (not a validated L1, or a refused value).
 */
int pvmx_ptwr_update_l1(struct pvmx_vcpu_core *v, u32 mfn, u32 slot, u64 new, u64 *expected,
			bool zapped)
{
	struct pvmx_vm_core *vm = v->vm;
	const struct pvmx_frame *f;
	u64 *e, cur = *expected;
	bool same = false;
	int rc;

	lockdep_assert_held(&vm->lock);
	if (!is_ram(vm, mfn) || slot >= L1_ENTRIES)
		return -XEN_EINVAL;
	f = &vm->frame_table[mfn];
	if (!f->type_count || f->type != PVMX_PGT_L1 || !(f->flags & PVMX_FRAME_VALIDATED))
		return -XEN_EINVAL;
	e = &table(vm, mfn)[slot];
	if (new & PVMX_PTE_P) {
		if (new & L1_DISALLOWED)
			return -XEN_EINVAL;
		/* Only A/D can change under us (the CPU): the fast path holds. */
		same = !entry_changed(cur, new);
		if (!same) {
			rc = get_l1e(vm, new);
			if (rc)
				return rc;
		}
	} else if (!zapped && l1tf_unsafe(vm, 1, new)) {
		/* Xen's ptwr_emulated_update() does not check its own fix-up. */
		return -XEN_EINVAL;
	}
	if (!__atomic_compare_exchange_n(e, &cur, new, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST)) {
		if (!same)
			put_l1e(vm, new);
		*expected = cur;
		return 1;
	}
	if (!same)
		put_l1e(vm, cur);
	v->pt_generation++;
	return 0;
}

static long mod_l2_entry(struct pvmx_vm_core *vm, u32 mfn, u32 slot, u64 new, bool preserve_ad)
{
	u64 *e = &table(vm, mfn)[slot];
	u64 old = READ_ONCE(*e);
	int rc;

	/* Xen's slots of a pae_xen_l2 are Xen's. */
	if (!is_guest_l2_slot(&vm->frame_table[mfn], slot))
		return -XEN_EPERM;
	if (new & PVMX_PTE_P) {
		if (new & L2_DISALLOWED)
			return -XEN_EINVAL;
		if (!entry_changed(old, new)) {
			write_entry(e, new, preserve_ad);
			return 0;
		}
		rc = get_l2e(vm, new);
		if (rc)
			return rc;
	} else if (l1tf_unsafe(vm, 2, new)) {
		return -XEN_EINVAL;
	}
	old = write_entry(e, new, preserve_ad);
	put_l2e(vm, old);
	return 0;
}

static long mod_l3_entry(struct pvmx_vm_core *vm, u32 mfn, u32 slot, u64 new, bool preserve_ad)
{
	u64 *e = &table(vm, mfn)[slot];
	u64 old = READ_ONCE(*e);
	bool same_table = false;
	int rc;

	/* Slot 3 holds Xen's mappings; 4..511 do not exist for a 32-bit guest. */
	if (slot >= 3)
		return -XEN_EINVAL;
	if (new & PVMX_PTE_P) {
		if (new & L3_DISALLOWED)
			return -XEN_EINVAL;
		same_table = !entry_changed(old, new);
		if (!same_table) {
			rc = get_l3e(vm, new, false);
			if (rc)
				return rc;
		}
		new |= L3_ADDED;
	} else if (l1tf_unsafe(vm, 3, new)) {
		return -XEN_EINVAL;
	}
	old = write_entry(e, new, preserve_ad);
	/* PDPTEs are loaded at VM entry from the VMCS: reload them first. */
	l3_changed(vm, mfn);
	if (!same_table)
		put_l3e(vm, old);
	return 0;
}

/* ---- guest vCPU masks and foreign domains -------------------------------- */

/* A 32-bit guest's vCPU bitmap: one word covers pvmx's 32 vCPUs. */
static int read_vcpumask(struct pvmx_vcpu_core *v, u32 ptr, u32 *mask)
{
	return pvmx_copy_from_guest(v, mask, ptr, sizeof(*mask)) ? -XEN_EFAULT : 0;
}

/* Xen's get_pg_owner: 0 (self), -XEN_EPERM (DOMID_IO/XEN: XSM), -XEN_ESRCH. */
static int pg_owner(const struct pvmx_vcpu_core *v, u32 domid)
{
	domid &= 0xFFFF;
	if (domid == DOMID_SELF)
		return 0;
	if (domid == DOMID_IO || domid == DOMID_XEN)
		return -XEN_EPERM;
	/* Naming itself is refused; no other domain exists here. */
	return -XEN_ESRCH;
}

/* Bits 16..31 of mmu_update's foreigndom: page-table owner + 1. */
static bool pt_owner_ok(const struct pvmx_vcpu_core *v, u32 foreigndom)
{
	u32 pt_dom = foreigndom >> DOMID_PT_OWNER_SHIFT;

	return !pt_dom || pt_dom - 1 == v->vm->domid;
}

/* ---- mmu_update (1) ---------------------------------------------------------- */

static long mmu_normal_update(struct pvmx_vcpu_core *v, u64 ptr, u64 val, u32 cmd)
{
	struct pvmx_vm_core *vm = v->vm;
	u64 mfn = ptr >> PVMX_PAGE_SHIFT;
	u32 slot = (ptr & PVMX_PAGE_OFFSET_MASK) / 8;
	bool preserve_ad = cmd == MMU_PT_UPDATE_PRESERVE_AD;
	struct pvmx_frame *f;
	u64 *page = pvmx_gfn_to_host(&vm->mem, mfn);
	long rc;

	if (!page)
		return -XEN_EINVAL;
	if (!is_ram(vm, mfn)) {
		/* shared_info: always a writable page. */
		WRITE_ONCE(page[slot], val);
		return 0;
	}
	f = &vm->frame_table[mfn];
	if (f->type_count && (f->flags & PVMX_FRAME_VALIDATED)) {
		switch (f->type) {
		case PVMX_PGT_L1:
			rc = mod_l1_entry(vm, &page[slot], val, preserve_ad);
			break;
		case PVMX_PGT_L2:
			rc = mod_l2_entry(vm, mfn, slot, val, preserve_ad);
			break;
		case PVMX_PGT_L3:
			/* A new L2 may be a long validation: preemptible, as Xen's. */
			vm->pgt_preempt = v;
			rc = mod_l3_entry(vm, mfn, slot, val, preserve_ad);
			vm->pgt_preempt = NULL;
			break;
		case PVMX_PGT_WRITABLE:
			WRITE_ONCE(page[slot], val);
			return 0;
		default:
			return -XEN_EINVAL;
		}
		if (!rc)
			v->pt_generation++;
		return rc;
	}
	/* An untyped frame: a plain write under a writable type reference. */
	if (get_type(vm, mfn, PVMX_PGT_WRITABLE, false))
		return -XEN_EINVAL;
	WRITE_ONCE(page[slot], val);
	put_type(vm, mfn, PVMX_PGT_WRITABLE);
	return 0;
}

static long mmu_machphys_update(struct pvmx_vcpu_core *v, u64 ptr, u64 val)
{
	struct pvmx_vm_core *vm = v->vm;
	u64 mfn = ptr >> PVMX_PAGE_SHIFT;

	if (!pvmx_gfn_to_host(&vm->mem, mfn))
		return -XEN_EINVAL;
	/* The compat M2P holds 32-bit entries. */
	if (vm->m2p && mfn < vm->nr_m2p)
		WRITE_ONCE(vm->m2p[mfn], (u32)val);
	return 0;
}

/*
 * Requests are read MMU_BATCH at a time from one page of the list, where Xen
 * copies each one just before it runs.  The rest of a batch is what a copy
 * now would read unless a request writes the list's frame, the L1 or L2
 * entry that maps the list page (pvmx_copy_from_guest_page()) or the
 * vCPU's L3 (its PDPTEs).  An update of an L1 entry or of a page that is no
 * table writes that one entry and nothing else (reference counts aside),
 * a machphys update only the M2P, which is no guest frame; an L2 or L3
 * update may validate a new table, so it ends the batch whatever it
 * writes.  Reads stay in list order: the guest sees no outcome Xen's
 * per-request copy could not give it.
 */
#define MMU_BATCH	8

static bool mmu_batch_survives(struct pvmx_vcpu_core *v, u64 ptr, const u64 where[3])
{
	struct pvmx_vm_core *vm = v->vm;
	u64 mfn = ptr >> PVMX_PAGE_SHIFT;
	const struct pvmx_frame *f;

	if ((ptr & 7) == MMU_MACHPHYS_UPDATE)
		return true;
	ptr &= ~7ULL;
	if (mfn == where[0] || ptr == where[1] || ptr == where[2] ||
	    mfn == v->cpu.cr3 >> PVMX_PAGE_SHIFT || !is_ram(vm, mfn))
		return false;
	f = &vm->frame_table[mfn];
	return !f->type_count || f->type == PVMX_PGT_L1 || f->type == PVMX_PGT_WRITABLE;
}

long do_mmu_update(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 ureqs = hc->arg[0], count = hc->arg[1], pdone = hc->arg[2];
	u32 foreigndom = hc->arg[3], done = 0, i, have = 0, at = 0;
	u64 where[3] = { ~0ULL, ~0ULL, ~0ULL };
	struct mmu_update batch[MMU_BATCH];
	int owner, err;
	long rc = 0;

	lockdep_assert_held(&v->vm->lock);
	if (count & MMU_UPDATE_PREEMPTED) {
		count &= ~MMU_UPDATE_PREEMPTED;
		if (pdone && pvmx_copy_from_guest(v, &done, pdone, sizeof(done)))
			done = 0;
	}
	if (!pt_owner_ok(v, foreigndom))
		return -XEN_ESRCH;
	owner = pg_owner(v, foreigndom);
	if (owner == -XEN_ESRCH) {
		rc = owner;
		i = 0;
		goto out;
	}

	for (i = 0; i < count; i++) {
		struct mmu_update req;
		u32 cmd;

		if (i && pvmx_preempt_check(v)) {
			hc->arg[0] = ureqs + i * sizeof(req);
			hc->arg[1] = (count - i) | MMU_UPDATE_PREEMPTED;
			hc->preempted = true;
			break;
		}
		if (at == have) {
			u32 gva = ureqs + i * sizeof(req);
			u32 n = (PVMX_PAGE_BYTES - (gva & PVMX_PAGE_OFFSET_MASK)) / sizeof(req);

			n = min_t(u32, min_t(u32, n, count - i), MMU_BATCH);
			at = 0;
			have = n ? n : 1;
			if (n) {
				err = pvmx_copy_from_guest_page(v, batch, gva, n * sizeof(req),
								where);
			} else {
				/* A request across a page boundary: alone, as Xen reads it. */
				err = pvmx_copy_from_guest(v, batch, gva, sizeof(req));
			}
			if (err) {
				rc = -XEN_EFAULT;
				break;
			}
		}
		req = batch[at++];
		/* Decided before the request runs: what its frame was then. */
		if (at < have && !mmu_batch_survives(v, req.ptr, where))
			have = at;
		cmd = req.ptr & 7;
		switch (cmd) {
		case MMU_NORMAL_PT_UPDATE:
		case MMU_PT_UPDATE_PRESERVE_AD:
		case MMU_PT_UPDATE_NO_TRANSLATE:	/* PV: nothing is translated anyway */
			rc = owner ? owner : mmu_normal_update(v, req.ptr - cmd, req.val, cmd);
			break;
		case MMU_MACHPHYS_UPDATE:
			rc = owner ? owner : mmu_machphys_update(v, req.ptr, req.val);
			break;
		default:
			rc = -XEN_ENOSYS;
			break;
		}
		if (rc == PGT_RESTART) {
			/* Xen's -ERESTART: this request again, where its validation stopped. */
			hc->arg[0] = ureqs + i * sizeof(req);
			hc->arg[1] = (count - i) | MMU_UPDATE_PREEMPTED;
			hc->preempted = true;
			rc = 0;
			break;
		}
		if (rc)
			break;
	}
out:
	if (pdone) {
		done += i;
		pvmx_copy_to_guest(v, pdone, &done, sizeof(done));
	}
	return rc;
}

/* ---- mmuext_op (26) ---------------------------------------------------------- */

static long pin_table(struct pvmx_vcpu_core *v, u32 mfn, enum pvmx_page_type type)
{
	struct pvmx_vm_core *vm = v->vm;
	int rc;

	if (!is_ram(vm, mfn))
		return -XEN_EINVAL;
	rc = get_type_preemptible(v, mfn, type);
	if (rc)
		return rc;
	if (vm->frame_table[mfn].flags & PVMX_FRAME_PINNED) {
		put_type(vm, mfn, type);
		return -XEN_EINVAL;
	}
	vm->frame_table[mfn].flags |= PVMX_FRAME_PINNED;
	return 0;
}

static long unpin_table(struct pvmx_vcpu_core *v, u32 mfn)
{
	struct pvmx_vm_core *vm = v->vm;
	struct pvmx_frame *f;

	if (!is_ram(vm, mfn))
		return -XEN_EINVAL;
	f = &vm->frame_table[mfn];
	if (!(f->flags & PVMX_FRAME_PINNED))
		return -XEN_EINVAL;
	f->flags &= ~PVMX_FRAME_PINNED;
	put_type(vm, mfn, f->type);
	return 0;
}

/* A frame the guest may overwrite whole (CLEAR_PAGE, COPY_PAGE's target). */
static long with_writable_frame(struct pvmx_vcpu_core *v, u32 mfn, const void *src)
{
	struct pvmx_vm_core *vm = v->vm;
	u8 *dst = pvmx_gfn_to_host(&vm->mem, mfn);

	if (!dst || (is_ram(vm, mfn) && get_type(vm, mfn, PVMX_PGT_WRITABLE, false)))
		return -XEN_EINVAL;
	if (src)
		memmove(dst, src, PVMX_PAGE_BYTES);
	else
		memset(dst, 0, PVMX_PAGE_BYTES);
	if (is_ram(vm, mfn))
		put_type(vm, mfn, PVMX_PGT_WRITABLE);
	return 0;
}

static long mmuext_flush(struct pvmx_vcpu_core *v, const struct mmuext_op *op)
{
	bool one = op->cmd == MMUEXT_INVLPG_MULTI || op->cmd == MMUEXT_INVLPG_ALL;
	u32 mask;

	/* Xen ignores an INVLPG of an address in its own area. */
	if (one && op->arg1 >= XEN_HYPERVISOR_VIRT_START)
		return 0;
	if (op->cmd == MMUEXT_TLB_FLUSH_MULTI || op->cmd == MMUEXT_INVLPG_MULTI) {
		if (read_vcpumask(v, op->arg2, &mask))
			return -XEN_EINVAL;
		flush_vcpus(v, &mask, op->arg1, one);
	} else {
		flush_vcpus(v, NULL, op->arg1, one);
	}
	return 0;
}

static long mmuext_one(struct pvmx_vcpu_core *v, const struct mmuext_op *op)
{
	struct pvmx_vm_core *vm = v->vm;

	switch (op->cmd) {
	case MMUEXT_PIN_L1_TABLE:
		return pin_table(v, op->arg1, PVMX_PGT_L1);
	case MMUEXT_PIN_L2_TABLE:
		return pin_table(v, op->arg1, PVMX_PGT_L2);
	case MMUEXT_PIN_L3_TABLE:
		return pin_table(v, op->arg1, PVMX_PGT_L3);
	case MMUEXT_PIN_L4_TABLE:
		return -XEN_EINVAL;		/* no L4s for a 32-bit guest */
	case MMUEXT_UNPIN_TABLE:
		return unpin_table(v, op->arg1);
	case MMUEXT_NEW_BASEPTR:
		return new_baseptr(v, op->arg1, true);
	case MMUEXT_TLB_FLUSH_LOCAL:
		pvmx_arch_flush_guest_tlb(v, 0, false);
		return 0;
	case MMUEXT_INVLPG_LOCAL:
		if (op->arg1 < XEN_HYPERVISOR_VIRT_START)
			pvmx_arch_flush_guest_tlb(v, op->arg1, true);
		return 0;
	case MMUEXT_TLB_FLUSH_MULTI:
	case MMUEXT_INVLPG_MULTI:
	case MMUEXT_TLB_FLUSH_ALL:
	case MMUEXT_INVLPG_ALL:
		return mmuext_flush(v, op);
	case MMUEXT_FLUSH_CACHE:
		return -XEN_EACCES;		/* no cache-flush permission for a domU */
	case MMUEXT_FLUSH_CACHE_GLOBAL:
		return -XEN_EINVAL;
	case MMUEXT_SET_LDT:
		return pvmx_set_ldt(v, op->arg2 ? op->arg1 : 0, op->arg2);
	case MMUEXT_CLEAR_PAGE:
		return with_writable_frame(v, op->arg1, NULL);
	case MMUEXT_COPY_PAGE: {
		const void *src = pvmx_gfn_to_host(&vm->mem, op->arg2);

		return src ? with_writable_frame(v, op->arg1, src) : -XEN_EINVAL;
	}
	case MMUEXT_MARK_SUPER:
	case MMUEXT_UNMARK_SUPER:
		return -XEN_EOPNOTSUPP;
	default:
		return -XEN_ENOSYS;
	}
}

long do_mmuext_op(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	u32 uops = hc->arg[0], count = hc->arg[1], pdone = hc->arg[2];
	u32 done = 0, i;
	int owner;
	long rc = 0;

	lockdep_assert_held(&v->vm->lock);
	if (count & MMU_UPDATE_PREEMPTED) {
		count &= ~MMU_UPDATE_PREEMPTED;
		if (pdone && pvmx_copy_from_guest(v, &done, pdone, sizeof(done)))
			done = 0;
	}
	owner = pg_owner(v, hc->arg[3]);
	if (owner)
		return owner;

	for (i = 0; i < count; i++) {
		struct mmuext_op op;

		if (i && pvmx_preempt_check(v)) {
			hc->arg[0] = uops + i * sizeof(op);
			hc->arg[1] = (count - i) | MMU_UPDATE_PREEMPTED;
			hc->preempted = true;
			break;
		}
		if (pvmx_copy_from_guest(v, &op, uops + i * sizeof(op), sizeof(op))) {
			rc = -XEN_EFAULT;
			break;
		}
		rc = mmuext_one(v, &op);
		if (rc == PGT_RESTART) {
			/* Xen's -ERESTART: this op again, where its validation stopped. */
			hc->arg[0] = uops + i * sizeof(op);
			hc->arg[1] = (count - i) | MMU_UPDATE_PREEMPTED;
			hc->preempted = true;
			rc = 0;
			break;
		}
		if (rc)
			break;
	}
	if (pdone) {
		done += i;
		pvmx_copy_to_guest(v, pdone, &done, sizeof(done));
	}
	return rc;
}

/* ---- update_va_mapping (14) and update_va_mapping_otherdomain (22) ------- */

static long update_va_mapping(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	struct pvmx_vm_core *vm = v->vm;
	u32 va = hc->arg[0], flags = hc->arg[3];
	u32 bmap = flags & ~UVMF_FLUSHTYPE_MASK, mask;
	u64 pte = ((u64)hc->arg[2] << 32) | hc->arg[1];
	const struct pvmx_frame *f;
	u64 l1e_gpa, l1_mfn;
	long rc;

	/* The L1 that maps va in the current tables, typed as one. */
	if (pvmx_l1e_gpa(v, va, &l1e_gpa))
		return -XEN_EINVAL;
	l1_mfn = l1e_gpa >> PVMX_PAGE_SHIFT;
	if (!is_ram(vm, l1_mfn))
		return -XEN_EINVAL;
	f = &vm->frame_table[l1_mfn];
	if (!f->type_count || f->type != PVMX_PGT_L1 || !(f->flags & PVMX_FRAME_VALIDATED))
		return -XEN_EINVAL;
	rc = mod_l1_entry(vm, (u64 *)pvmx_gfn_to_host(&vm->mem, l1_mfn) +
			  (l1e_gpa & PVMX_PAGE_OFFSET_MASK) / 8, pte, false);
	if (rc)
		return rc;
	v->pt_generation++;

	switch (flags & UVMF_FLUSHTYPE_MASK) {
	case UVMF_TLB_FLUSH:
	case UVMF_INVLPG: {
		bool one = (flags & UVMF_FLUSHTYPE_MASK) == UVMF_INVLPG;

		if (bmap == UVMF_LOCAL) {
			pvmx_arch_flush_guest_tlb(v, va, one);
		} else if (bmap == UVMF_ALL) {
			flush_vcpus(v, NULL, va, one);
		} else {
			if (read_vcpumask(v, bmap, &mask))
				return -XEN_EFAULT;
			flush_vcpus(v, &mask, va, one);
		}
		break;
	}
	}
	return 0;
}

long do_update_va_mapping(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	lockdep_assert_held(&v->vm->lock);
	return update_va_mapping(v, hc);
}

long do_update_va_mapping_otherdomain(struct pvmx_vcpu_core *v, struct pvmx_hcall *hc)
{
	int owner = pg_owner(v, hc->arg[4]);

	lockdep_assert_held(&v->vm->lock);
	return owner ? owner : update_va_mapping(v, hc);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of kmod/vmx/vmx_exit_info.c: I/O, CR and DR exit
 * qualifications, EPT violations as #PF-style error codes, segment access
 * rights both ways, VM-entry interruption information. Values as the SDM's
 * tables lay them out, written here bit by bit.
 */
#include <string.h>

#include "ksft.h"
#include "vmx/vmx_exit_info.h"
#include "vmx/vmcs.h"
#include "gwalk.h"

static int t_io(void)
{
	struct vmx_io io;

	/* OUT DX, AL to port 0x3f8: size 1, out, not string */
	vmx_decode_io(0x03f80000ull, 0, true, &io);
	CHECK(io.port == 0x3f8 && io.size == 1 && !io.in && !io.string && !io.rep,
	      "out al");
	/* IN EAX, 0x71 (immediate: bit 6): size 4 */
	vmx_decode_io(0x00710000ull | 1 << 6 | 1 << 3 | 3, 0, true, &io);
	CHECK(io.port == 0x71 && io.size == 4 && io.in && !io.string, "in eax, imm");
	/* REP INSW from 0x1f0, 32-bit addresses (instruction info bits 9:7 = 1) */
	vmx_decode_io(0x01f00000ull | 1 << 5 | 1 << 4 | 1 << 3 | 1, 1 << 7, true, &io);
	CHECK(io.port == 0x1f0 && io.size == 2 && io.in && io.string && io.rep &&
	      io.addr_size == 4, "rep insw: size %u asize %u", io.size, io.addr_size);
	vmx_decode_io(0x01f00000ull | 1 << 4, 2 << 7, true, &io);
	CHECK(io.string && io.addr_size == 8, "outsb, 64-bit addresses");
	vmx_decode_io(0x01f00000ull | 1 << 4, 0, true, &io);
	CHECK(io.addr_size == 2, "16-bit addresses");
	vmx_decode_io(0x01f00000ull | 1 << 4, 2 << 7, false, &io);
	CHECK(io.addr_size == 0, "no INS/OUTS information: unknown");
	vmx_decode_io(0xffff0000ull, 0, true, &io);
	CHECK(io.port == 0xffff, "port 0xffff");
	return KSFT_PASS;
}

static int t_cr_dr(void)
{
	struct vmx_cr_access cr;
	struct vmx_dr_access dr;

	vmx_decode_cr(4 | 0 << 4 | 3 << 8, &cr);	/* mov %rbx, %cr4 */
	CHECK(cr.cr == 4 && cr.type == VMX_CR_MOV_TO && cr.gpr == 3, "mov to cr4");
	vmx_decode_cr(8 | 1 << 4 | 15 << 8, &cr);	/* mov %cr8, %r15 */
	CHECK(cr.cr == 8 && cr.type == VMX_CR_MOV_FROM && cr.gpr == 15, "mov from cr8");
	vmx_decode_cr(0 | 2 << 4, &cr);
	CHECK(cr.cr == 0 && cr.type == VMX_CR_CLTS, "clts");
	vmx_decode_cr(0 | 3 << 4 | 0xfff1ull << 16, &cr);
	CHECK(cr.type == VMX_CR_LMSW && cr.lmsw_source == 0xfff1, "lmsw");
	vmx_decode_dr(7 | 0 << 4 | 1 << 8, &dr);	/* mov %rcx, %dr7 */
	CHECK(dr.dr == 7 && !dr.from_dr && dr.gpr == 1, "mov to dr7");
	vmx_decode_dr(6 | 1 << 4 | 4 << 8, &dr);	/* mov %dr6, %rsp */
	CHECK(dr.dr == 6 && dr.from_dr && dr.gpr == 4, "mov from dr6");
	return KSFT_PASS;
}

static int t_ept_violation(void)
{
	/* a data write to a page EPT does not map: final address, not present */
	CHECK(vmx_ept_violation_error(1 << 1 | 1 << 7 | 1 << 8) ==
	      (KHV_PFERR_WRITE | KHV_PFERR_GUEST_FINAL), "write, not present");
	/* a read during the guest's own page walk, the entry read-only... present */
	CHECK(vmx_ept_violation_error(1 << 0 | 1 << 3 | 1 << 7) ==
	      (KHV_PFERR_PRESENT | KHV_PFERR_GUEST_PAGE), "walk read");
	/* a write to a read/execute page: present */
	CHECK(vmx_ept_violation_error(1 << 1 | 1 << 3 | 1 << 5 | 1 << 7 | 1 << 8) ==
	      (KHV_PFERR_WRITE | KHV_PFERR_PRESENT | KHV_PFERR_GUEST_FINAL),
	      "write, read/execute page");
	CHECK(vmx_ept_violation_error(1 << 2 | 1 << 7 | 1 << 8) ==
	      (KHV_PFERR_FETCH | KHV_PFERR_GUEST_FINAL), "fetch");
	/* no linear address (e.g. PDPTE loads): neither final nor walk */
	CHECK(vmx_ept_violation_error(1 << 0 | 1 << 8) == 0, "no GLA");
	return KSFT_PASS;
}

static int t_segments(void)
{
	struct kvm_segment cs = { .type = 0xb, .s = 1, .dpl = 0, .present = 1, .l = 1,
				  .g = 1 }, tr = { .type = 0xb, .present = 1 },
			   ds = { .type = 3, .s = 1, .dpl = 3, .present = 1, .db = 1, .g = 1,
				  .avl = 1 }, null = { .unusable = 1 }, back;

	CHECK(vmx_seg_ar(&cs) == 0xa09b, "64-bit code %#x", vmx_seg_ar(&cs));
	CHECK(vmx_seg_ar(&tr) == 0x8b, "busy TSS %#x", vmx_seg_ar(&tr));
	CHECK(vmx_seg_ar(&ds) == 0xd0f3, "data %#x", vmx_seg_ar(&ds));
	CHECK(vmx_seg_ar(&null) == VMX_AR_UNUSABLE, "unusable");
	memset(&back, 0xff, sizeof(back));
	vmx_seg_from_ar(0xd0f3, &back);
	CHECK(back.type == 3 && back.s == 1 && back.dpl == 3 && back.present == 1 &&
	      back.avl == 1 && !back.l && back.db == 1 && back.g == 1 && !back.unusable &&
	      !back.padding, "data back");
	vmx_seg_from_ar(VMX_AR_UNUSABLE | 0x93, &back);
	CHECK(back.unusable && !back.present, "unusable back");
	vmx_seg_from_ar(vmx_seg_ar(&cs), &back);
	CHECK(back.type == cs.type && back.l == 1 && back.g == 1 && back.present, "round trip");
	return KSFT_PASS;
}

static int t_intr_info(void)
{
	CHECK(vmx_intr_info(14, VMX_INTR_TYPE_HW_EXC, true) == 0x80000b0e, "#PF");
	CHECK(vmx_intr_info(2, VMX_INTR_TYPE_NMI, false) == 0x80000202, "NMI");
	CHECK(vmx_intr_info(0x41, VMX_INTR_TYPE_EXT, false) == 0x80000041, "IRQ 0x41");
	CHECK(vmx_intr_info(3, VMX_INTR_TYPE_SW_EXC, false) == 0x80000603, "INT3");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "vmx_io", t_io },
	{ "vmx_cr_dr", t_cr_dr },
	{ "vmx_ept_violation", t_ept_violation },
	{ "vmx_segments", t_segments },
	{ "vmx_intr_info", t_intr_info },
};

int main(void)
{
	return KSFT_RUN(cases);
}

/* SPDX-License-Identifier: GPL-2.0 */
/* Guest RAM: one host mapping of guest physical [0, size). */
#ifndef KHV_VMM_GUEST_MEM_H
#define KHV_VMM_GUEST_MEM_H

#include <stdint.h>

struct guest_mem {
	uint8_t *host;
	uint64_t size;
};

/* Host pointer to guest [gpa, gpa+len), or NULL if not all of it is RAM. */
static inline void *gmem_ptr(const struct guest_mem *m, uint64_t gpa,
			     uint64_t len)
{
	if (gpa > m->size || len > m->size - gpa)
		return 0;
	return m->host + gpa;
}

#endif

// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_ioapic.c as the KUnit suite khv_ioapic (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_ioapic
int main(void);
#include "test_ioapic.c"
#undef main

KHV_KUNIT_SUITE(ioapic);

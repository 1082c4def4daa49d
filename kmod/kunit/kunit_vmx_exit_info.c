// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_vmx_exit_info.c as the KUnit suite khv_vmx_exit_info (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_vmx_exit_info
int main(void);
#include "test_vmx_exit_info.c"
#undef main

KHV_KUNIT_SUITE(vmx_exit_info);

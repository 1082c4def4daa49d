/* SPDX-License-Identifier: GPL-2.0 */
/* Host headers the unit tests include, for the kernel build (see ksft.h). */
#include <linux/string.h>

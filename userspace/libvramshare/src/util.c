// SPDX-License-Identifier: MIT
/* libvramshare: small helpers shared by the other files. */
#include <errno.h>

#include "internal.h"

int vrs_errno(void)
{
	return errno ? -errno : -EIO;
}

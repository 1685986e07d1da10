#ifndef SWIFTKEYDB_CHIREDIS_SHIM_H
#define SWIFTKEYDB_CHIREDIS_SHIM_H

// Debian's libhiredis-dev installs the headers under /usr/include/hiredis/.
// Only the blocking API is used by the interop tests.
#include <hiredis/hiredis.h>

#endif

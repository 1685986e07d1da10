// glibc's malloc.h is not part of Swift's Glibc module, so this shim reads
// the allocator's own count of bytes in use.
#include "memory_stats.h"
#include <stdlib.h>  /* defines __GLIBC__ on glibc systems */

#if defined(__GLIBC__)
#include <malloc.h>
size_t swiftkeydb_allocated_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}
#else
size_t swiftkeydb_allocated_bytes(void) {
    return 0;
}
#endif

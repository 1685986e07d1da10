// The heap's size in use, as the server executable counts it.
#include "memory_stats.h"

/* Defined by CMemoryAccounting when it is linked in (the server executable). */
extern size_t swiftkeydb_accounted_bytes(void) __attribute__((weak));

/* 0 when the heap is not accounted (test executables): callers fall back to
 * the resident set size. glibc's mallinfo2 is not a fallback: it walks every
 * free chunk, ~150 ms on a fragmented heap of a million keys. */
size_t swiftkeydb_allocated_bytes(void) {
    return swiftkeydb_accounted_bytes ? swiftkeydb_accounted_bytes() : 0;
}

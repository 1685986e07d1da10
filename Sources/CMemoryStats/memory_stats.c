// The heap's size in use, as the server executable counts it, and glibc's own
// view of its heap for the MEMORY subcommands that ask the allocator.
#include "memory_stats.h"
#include <stdio.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* Defined by CMemoryAccounting when it is linked in (the server executable). */
extern size_t swiftkeydb_accounted_bytes(void) __attribute__((weak));

/* 0 when the heap is not accounted (test executables): callers fall back to
 * the resident set size. glibc's mallinfo2 is not a fallback: it walks every
 * free chunk, ~150 ms on a fragmented heap of a million keys. */
size_t swiftkeydb_allocated_bytes(void) {
    return swiftkeydb_accounted_bytes ? swiftkeydb_accounted_bytes() : 0;
}

/* Walks every arena, as mallinfo2 does: only for an administrator's explicit ask. */
char *swiftkeydb_malloc_info(size_t *length) {
#if defined(__GLIBC__)
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream(&text, &size);
    if (stream == NULL) return NULL;
    int failed = malloc_info(0, stream);
    if (fclose(stream) != 0 || failed != 0) {
        free(text);
        return NULL;
    }
    *length = size;
    return text;
#else
    (void)length;
    return NULL;
#endif
}

int swiftkeydb_malloc_trim(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}

#ifndef SWIFTKEYDB_MEMORY_STATS_H
#define SWIFTKEYDB_MEMORY_STATS_H
#include <stddef.h>

/// Bytes the C allocator currently has handed out (INFO used_memory).
size_t swiftkeydb_allocated_bytes(void);

/// glibc's malloc_info report (XML), for MEMORY MALLOC-STATS: a malloc'd,
/// NUL-terminated text the caller frees, or NULL where glibc is not the allocator.
char *swiftkeydb_malloc_info(size_t *length);

/// MEMORY PURGE: glibc's malloc_trim(0), returning free memory to the system
/// (1 if some was returned); 0 and nothing done without glibc.
int swiftkeydb_malloc_trim(void);

#endif

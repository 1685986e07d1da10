#ifndef SWIFTKEYDB_MEMORY_STATS_H
#define SWIFTKEYDB_MEMORY_STATS_H
#include <stddef.h>

/// Bytes the C allocator currently has handed out (INFO used_memory).
size_t swiftkeydb_allocated_bytes(void);

#endif

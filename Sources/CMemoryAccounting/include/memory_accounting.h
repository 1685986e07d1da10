#ifndef SWIFTKEYDB_MEMORY_ACCOUNTING_H
#define SWIFTKEYDB_MEMORY_ACCOUNTING_H
#include <stddef.h>

/// Bytes currently allocated through malloc and friends (their usable sizes),
/// counted as they are allocated and freed: Redis's used_memory, read in O(1).
size_t swiftkeydb_accounted_bytes(void);

/// Counts the heap allocations the calling thread makes from now on (the
/// hot-path allocation test: a change that adds one per command fails CI).
void allocation_counter_start(void);
/// Stops counting; returns the allocations counted since the start.
long allocation_counter_stop(void);
/// Bytes allocated on this thread since `allocation_counter_start` (a copy of a
/// large value shows here, however few allocations it takes).
long long allocation_counter_bytes(void);

#endif

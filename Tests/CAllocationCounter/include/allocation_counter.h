#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

/// Counts heap allocations made by the calling thread while counting is on.
/// Test-only: this target replaces malloc and friends in the test executable
/// with thin wrappers around glibc's own implementations.
void allocation_counter_start(void);
/// Stops counting; returns the allocations counted since the start.
long allocation_counter_stop(void);

#endif

// Counts the heap as Redis's zmalloc does: every allocation and free adjusts
// one counter by the block's usable size, so used_memory (and maxmemory's
// check before each command) is a single load instead of a walk of the heap
// (glibc's mallinfo2 takes ~150 ms on a fragmented heap of a million keys).
//
// Its malloc, free... take the place of glibc's for the whole process and
// defer to glibc's __libc_* entry points. Linked into the server executable
// and the test executable (which also counts allocations per thread, for the
// hot-path allocation test); one definition, so the two never clash.
#include "memory_accounting.h"
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

static _Atomic long long accounted;
static __thread int counting;
static __thread long allocations;
static __thread long long allocated_bytes;

void allocation_counter_start(void) {
    allocations = 0;
    allocated_bytes = 0;
    counting = 1;
}

long long allocation_counter_bytes(void) {
    return allocated_bytes;
}

long allocation_counter_stop(void) {
    counting = 0;
    return allocations;
}

static inline void *counted(void *pointer) {
    if (counting) {
        allocations++;
        if (pointer) allocated_bytes += (long long)malloc_usable_size(pointer);
    }
    if (pointer) atomic_fetch_add_explicit(&accounted, (long long)malloc_usable_size(pointer), memory_order_relaxed);
    return pointer;
}

static inline void uncount(void *pointer) {
    if (pointer) atomic_fetch_sub_explicit(&accounted, (long long)malloc_usable_size(pointer), memory_order_relaxed);
}

size_t swiftkeydb_accounted_bytes(void) {
    long long bytes = atomic_load_explicit(&accounted, memory_order_relaxed);
    return bytes > 0 ? (size_t)bytes : 0;
}

void *malloc(size_t size) { return counted(__libc_malloc(size)); }

void *calloc(size_t count, size_t size) { return counted(__libc_calloc(count, size)); }

void *realloc(void *pointer, size_t size) {
    // Counted as a free and an allocation: the block may move or change size.
    size_t before = pointer ? malloc_usable_size(pointer) : 0;
    void *result = __libc_realloc(pointer, size);
    if (result == NULL && size != 0) return NULL;  // the old block is untouched
    atomic_fetch_sub_explicit(&accounted, (long long)before, memory_order_relaxed);
    return counted(result);
}

void *memalign(size_t alignment, size_t size) { return counted(__libc_memalign(alignment, size)); }

void *aligned_alloc(size_t alignment, size_t size) { return counted(__libc_memalign(alignment, size)); }

int posix_memalign(void **result, size_t alignment, size_t size) {
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = counted(pointer);
    return 0;
}

void free(void *pointer) {
    uncount(pointer);
    __libc_free(pointer);
}

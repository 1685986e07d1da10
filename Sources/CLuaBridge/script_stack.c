// The C stack scripts run on. A script past busy-reply-threshold must be left
// mid-run and continued later, from wherever the count hook finds it: inside a
// metamethod, an iterator, table.sort's comparator or an EXEC. Lua 5.1 cannot
// yield across those C frames, so the whole run lives on a stack of its own and a
// pause simply switches back to the event loop's stack, leaving every frame in place.
//
// The stack is entered once through makecontext; after that, switches are
// _setjmp/_longjmp pairs, which cost no system call (swapcontext saves the signal
// mask each time). Nothing here unwinds: each side only jumps to a point the other
// saved and is still suspended at. Jumping between stacks assumes no shadow stack
// (x86 CET, arm64 GCS) and no sanitizer is on, as in every build of this server.
#ifdef _FORTIFY_SOURCE
#undef _FORTIFY_SOURCE  // __longjmp_chk refuses a jump to another stack
#endif
#include "CLuaBridge.h"
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

enum { STACK_IDLE, STACK_RUNNING, STACK_PAUSED };
// Values handed back to the host's _setjmp.
enum { BACK_FINISHED = 1, BACK_PAUSED = 2 };

struct skdb_script_stack {
    void *memory;
    size_t size;
    jmp_buf host;    // where the event loop waits while the stack runs
    jmp_buf script;  // where the stack waits: paused in the hook, or idle between runs
    skdb_stack_body body;
    void *context;
    int state;
    int entered;     // the stack's main loop is running (makecontext happened)
};

skdb_script_stack *skdb_script_stack_new(size_t size) {
    skdb_script_stack *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    long page = sysconf(_SC_PAGESIZE);
    size = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
    // Reserved, not committed: only the pages a script touches use memory. The
    // lowest page stays unmapped, so an overflow faults instead of corrupting the heap.
    void *memory = mmap(NULL, size + (size_t)page, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (memory == MAP_FAILED) {
        free(s);
        return NULL;
    }
    if (mprotect(memory, (size_t)page, PROT_NONE) != 0) {
        munmap(memory, size + (size_t)page);
        free(s);
        return NULL;
    }
    s->memory = memory;
    s->size = size + (size_t)page;
    return s;
}

void skdb_script_stack_free(skdb_script_stack *s) {
    if (!s) return;
    munmap(s->memory, s->size);
    free(s);
}

int skdb_script_stack_active(const skdb_script_stack *s) { return s->state != STACK_IDLE; }

static void stack_main(unsigned int high, unsigned int low) {
    skdb_script_stack *s = (skdb_script_stack *)(((uintptr_t)high << 32) | (uintptr_t)low);
    for (;;) {
        s->body(s->context);
        s->state = STACK_IDLE;
        if (_setjmp(s->script) == 0) _longjmp(s->host, BACK_FINISHED);
        // The next run starts here.
    }
}

int skdb_script_stack_run(skdb_script_stack *s, skdb_stack_body body, void *context) {
    s->body = body;
    s->context = context;
    s->state = STACK_RUNNING;
    switch (_setjmp(s->host)) {
    case 0:
        break;
    case BACK_FINISHED:
        return 0;
    default:
        return 1;
    }
    if (s->entered) _longjmp(s->script, 1);
    s->entered = 1;
    ucontext_t entry;
    getcontext(&entry);
    entry.uc_stack.ss_sp = s->memory;
    entry.uc_stack.ss_size = s->size;
    entry.uc_link = NULL;  // stack_main never returns
    uintptr_t address = (uintptr_t)s;
    makecontext(&entry, (void (*)(void))stack_main, 2, (unsigned int)(address >> 32), (unsigned int)address);
    setcontext(&entry);
    abort();  // setcontext returns only on failure
}

int skdb_script_stack_resume(skdb_script_stack *s) {
    if (s->state != STACK_PAUSED) return 0;
    s->state = STACK_RUNNING;
    switch (_setjmp(s->host)) {
    case 0:
        _longjmp(s->script, 1);
    case BACK_FINISHED:
        return 0;
    default:
        return 1;
    }
}

void skdb_script_stack_pause(skdb_script_stack *s) {
    if (s->state != STACK_RUNNING) return;
    s->state = STACK_PAUSED;
    if (_setjmp(s->script) == 0) _longjmp(s->host, BACK_PAUSED);
}

// The seam between the engine and Debian's Lua 5.1: a sandboxed interpreter set up
// as Redis's scripting environment, plus the few macros of lua.h that Swift cannot
// import. Lua errors are raised here, in C, never across Swift frames.
#ifndef SKDB_LUA_BRIDGE_H
#define SKDB_LUA_BRIDGE_H

#include <lua5.1/lua.h>
#include <lua5.1/lauxlib.h>
#include <stddef.h>

/// Host functions (redis.call, redis.log, ...) are one Swift callback told which one
/// ran: it returns how many results it pushed, or -1 to raise the value on top.
typedef int (*skdb_host_function)(void *context, lua_State *L, int function_id);
/// The count hook asks the host what to do: go on, pause the script, or kill it.
typedef int (*skdb_interrupt_function)(void *context, lua_State *L);

enum { SKDB_CONTINUE = 0, SKDB_PAUSE = 1, SKDB_KILL = 2, SKDB_LOAD_TIMEOUT = 3 };

/// A new interpreter with Redis's libraries (base, table, string, math, cjson, bit,
/// struct, cmsgpack) and nothing that reaches the file system or the process.
/// `context` is handed back to the callbacks. Call `skdb_lua_seal` once the host
/// added its tables.
lua_State *skdb_lua_open(void *context, skdb_host_function host, skdb_interrupt_function interrupt);

/// Closes an interpreter made by skdb_lua_open.
void skdb_lua_close(lua_State *L);

/// Pushes a C closure that calls the host with `function_id`.
void skdb_lua_push_host_function(lua_State *L, int function_id);

/// Locks the globals: after this, scripts read them through a read-only view that
/// raises on unknown names, every library table is read-only, and so is the view.
/// `names` lists the globals scripts may see (NULL-terminated).
void skdb_lua_seal(lua_State *L, const char *const *names);

/// The table scripts read globals from (KEYS and ARGV are set in it per call).
void skdb_lua_push_script_globals(lua_State *L);
/// Swaps what scripts' global lookups read: the table on top (popped). FUNCTION LOAD
/// swaps in its library API and swaps back after.
void skdb_lua_set_global_source(lua_State *L);
/// Pushes what scripts' global lookups currently read.
void skdb_lua_push_global_source(lua_State *L);
/// Marks the table on top read-only (and keeps it on the stack), as the sandbox's tables are.
void skdb_lua_protect(lua_State *L, int index);
/// Makes reading an unknown name from the table on top an error, as reading an
/// undeclared global is (FUNCTION LOAD's library API is such a table).
void skdb_lua_guard_globals(lua_State *L);
/// A read-only view of the table on top, replacing it.
void skdb_lua_make_readonly_view(lua_State *L);

/// Calls the function below the `nargs` arguments on top of the stack, with the count
/// hook installed every `hook_instructions` (0: none), leaving one result or the
/// error value. Returns 0 or Lua's error status. Each call starts with no kill.
int skdb_lua_call(lua_State *L, int nargs, int hook_instructions);

/// Where the last run's error came from: the first Lua frame's source and line
/// (NULL when none), as Redis's error handler reports it.
const char *skdb_lua_error_origin(lua_State *L, int *line);

/// The C stack scripts run on, so a run can be left mid-way past busy-reply-threshold
/// (from any depth: metamethods, iterators, table.sort, EXEC) and continued later.
typedef struct skdb_script_stack skdb_script_stack;
typedef void (*skdb_stack_body)(void *context);

/// A stack of `size` bytes (reserved, committed only as used). NULL if it cannot be mapped.
skdb_script_stack *skdb_script_stack_new(size_t size);
void skdb_script_stack_free(skdb_script_stack *stack);
/// Runs `body(context)` on the stack. Returns 0 when it returned, 1 when it paused.
int skdb_script_stack_run(skdb_script_stack *stack, skdb_stack_body body, void *context);
/// Continues a paused body: 0 when it returned, 1 when it paused again.
int skdb_script_stack_resume(skdb_script_stack *stack);
/// On the stack: back to whoever ran or resumed it; returns once resumed.
void skdb_script_stack_pause(skdb_script_stack *stack);
/// Whether a body is running on the stack, or paused on it.
int skdb_script_stack_active(const skdb_script_stack *stack);
/// The count hook of `L`'s runs pauses `stack` when the host asks it to yield.
void skdb_lua_set_stack(lua_State *L, skdb_script_stack *stack);

/// Pushes {err = message} (Redis's error table).
void skdb_lua_push_error_table(lua_State *L, const char *message, size_t length);

static inline void skdb_lua_pop(lua_State *L, int n) { lua_settop(L, -(n) - 1); }
static inline void skdb_lua_newtable(lua_State *L) { lua_createtable(L, 0, 0); }
static inline int skdb_lua_registry(void) { return LUA_REGISTRYINDEX; }

#endif

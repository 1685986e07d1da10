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
/// The count hook asks the host what to do: go on, yield the script, or kill it.
typedef int (*skdb_interrupt_function)(void *context, lua_State *L);

enum { SKDB_CONTINUE = 0, SKDB_YIELD = 1, SKDB_KILL = 2, SKDB_LOAD_TIMEOUT = 3 };

/// A new interpreter with Redis's libraries (base, table, string, math, cjson, bit,
/// struct, cmsgpack) and nothing that reaches the file system or the process.
/// `context` is handed back to the callbacks. Call `skdb_lua_seal` once the host
/// added its tables.
lua_State *skdb_lua_open(void *context, skdb_host_function host, skdb_interrupt_function interrupt);

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

/// Runs or continues `thread`, with the count hook installed every `hook_instructions`.
/// Returns 0 when it finished, LUA_YIELD when the hook yielded it, or an error code
/// (the error value on top of `thread`).
int skdb_lua_resume(lua_State *thread, int nargs, int hook_instructions);

/// Forgets a kill: called as each run starts.
void skdb_lua_reset_kill(lua_State *L);

/// Whether the last yield was the hook's pause (and forgets it): anything else that
/// reaches the host is a script's own coroutine.yield outside a coroutine.
int skdb_lua_take_hook_yield(lua_State *L);

/// Where an error raised in `thread` came from: the first Lua frame's source and line
/// (source NULL when none), as Redis's error handler reports it.
const char *skdb_lua_error_origin(lua_State *thread, int *line);

/// Pushes {err = message} (Redis's error table).
void skdb_lua_push_error_table(lua_State *L, const char *message, size_t length);

static inline void skdb_lua_pop(lua_State *L, int n) { lua_settop(L, -(n) - 1); }
static inline void skdb_lua_newtable(lua_State *L) { lua_createtable(L, 0, 0); }
static inline int skdb_lua_registry(void) { return LUA_REGISTRYINDEX; }

#endif

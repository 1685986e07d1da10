// The sandboxed interpreter: libraries, host functions, the read-only globals, the
// count hook and Redis's math.random. Everything that raises a Lua error is here.
#include "CLuaBridge.h"
#include <lua5.1/lualib.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int luaopen_cjson(lua_State *L);   // Debian's lua-cjson
int luaopen_bit(lua_State *L);     // Debian's lua-bitop
int skdb_luaopen_cmsgpack(lua_State *L);
int skdb_luaopen_struct(lua_State *L);
int skdb_lua_run_prelude(lua_State *L);

// Registry keys: addresses of these statics are unique per process.
static char key_protected, key_globals_meta;

typedef struct {
    void *context;
    skdb_host_function host;
    skdb_interrupt_function interrupt;
    skdb_script_stack *stack;  // where a pause returns from; NULL: runs never pause
    int killed;                // SCRIPT KILL reached this run
    int origin_line;           // where the run's error came from (origin_source NULL: unknown)
    char *origin_source;
} host_state;

// The host state is the allocator's user data: found without a table lookup, on
// every host function call.
static host_state *host_of(lua_State *L) {
    void *state;
    lua_getallocf(L, &state);
    return state;
}

static void *allocate(void *state, void *block, size_t old_size, size_t new_size) {
    (void)state;
    (void)old_size;
    if (new_size == 0) {
        free(block);
        return NULL;
    }
    return realloc(block, new_size);
}

static int panic(lua_State *L) {
    fprintf(stderr, "PANIC: unprotected error in call to Lua API (%s)\n", lua_tostring(L, -1));
    return 0;
}

static int call_host(lua_State *L) {
    host_state *state = host_of(L);
    int id = (int)lua_tointeger(L, lua_upvalueindex(1));
    int results = state->host(state->context, L, id);
    if (results < 0) return lua_error(L);
    return results;
}

void skdb_lua_push_host_function(lua_State *L, int function_id) {
    lua_pushinteger(L, function_id);
    lua_pushcclosure(L, call_host, 1);
}

void skdb_lua_push_error_table(lua_State *L, const char *message, size_t length) {
    lua_createtable(L, 0, 1);
    lua_pushlstring(L, message, length);
    lua_setfield(L, -2, "err");
}

// MARK: - Read-only tables

static int is_protected(lua_State *L, int index) {
    if (!lua_istable(L, index)) return 0;
    lua_pushvalue(L, index);
    lua_pushlightuserdata(L, &key_protected);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_insert(L, -2);
    lua_rawget(L, -2);
    int found = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return found;
}

static int readonly_error(lua_State *L) {
    return luaL_error(L, "Attempt to modify a readonly table");
}

// rawset and setmetatable are C functions: Lua gives their errors no position.
static int readonly_error_in_call(lua_State *L) {
    lua_pushliteral(L, "Attempt to modify a readonly table");
    return lua_error(L);
}

static int missing_global(lua_State *L) {
    const char *name = lua_tostring(L, 2);
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name ? name : "?");
}

void skdb_lua_protect(lua_State *L, int index) {
    index = index < 0 ? lua_gettop(L) + index + 1 : index;
    lua_pushlightuserdata(L, &key_protected);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, index);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

// Reading through a metatable's view: a table found there is handed out as a view
// too, so `getmetatable(t).__index` never reaches the real table behind t.
static int view_index(lua_State *L) {
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    if (lua_istable(L, -1) && !is_protected(L, -1)) skdb_lua_make_readonly_view(L);
    return 1;
}

// Scripts see an empty table whose metatable reads from the real one and refuses
// writes; getmetatable() on it answers another such view, so nothing is reachable to change.
static void push_readonly_metatable(lua_State *L, int source) {
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, source);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_error);
    lua_setfield(L, -2, "__newindex");
    // The view of the metatable itself.
    lua_newtable(L);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, view_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_error);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    skdb_lua_protect(L, -1);
    lua_setmetatable(L, -2);
    skdb_lua_protect(L, -1);
    lua_setfield(L, -2, "__metatable");
    skdb_lua_protect(L, -1);
}

void skdb_lua_make_readonly_view(lua_State *L) {
    int source = lua_gettop(L);
    lua_newtable(L);
    push_readonly_metatable(L, source);
    lua_setmetatable(L, -2);
    skdb_lua_protect(L, -1);
    lua_replace(L, source);
}

// rawset and setmetatable would get past the metatables: they refuse protected tables.
static int guarded_rawset(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (is_protected(L, 1)) return readonly_error_in_call(L);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

static int guarded_setmetatable(lua_State *L) {
    if (is_protected(L, 1)) return readonly_error_in_call(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

// MARK: - Globals

void skdb_lua_push_script_globals(lua_State *L) {
    lua_pushlightuserdata(L, &key_globals_meta);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_getfield(L, -1, "__index");
    lua_remove(L, -2);
}

void skdb_lua_push_global_source(lua_State *L) { skdb_lua_push_script_globals(L); }

void skdb_lua_set_global_source(lua_State *L) {
    lua_pushlightuserdata(L, &key_globals_meta);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_insert(L, -2);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

void skdb_lua_guard_globals(lua_State *L) {
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, missing_global);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    skdb_lua_protect(L, -1);
}

void skdb_lua_seal(lua_State *L, const char *const *names) {
    // The visible globals, each library table behind a read-only view.
    lua_newtable(L);
    int visible = lua_gettop(L);
    for (const char *const *name = names; *name; name++) {
        lua_getfield(L, LUA_GLOBALSINDEX, *name);
        if (lua_istable(L, -1) && strcmp(*name, "_G") != 0) skdb_lua_make_readonly_view(L);
        lua_setfield(L, visible, *name);
    }
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, missing_global);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_error);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, visible);
    skdb_lua_protect(L, visible);

    // Strings' methods: their metatable reads the read-only `string`, and
    // getmetatable('') answers a view, so no script can swap a method for the next.
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        int strings = lua_gettop(L);
        lua_getfield(L, visible, "string");
        lua_setfield(L, strings, "__index");
        lua_pushvalue(L, strings);
        skdb_lua_make_readonly_view(L);
        lua_setfield(L, strings, "__metatable");
        skdb_lua_protect(L, strings);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    // The real globals table becomes the empty front: C functions created so far
    // keep it as their environment, so it must hold nothing a script could use.
    lua_pushnil(L);
    while (lua_next(L, LUA_GLOBALSINDEX)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, LUA_GLOBALSINDEX);
    }
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_setfield(L, visible, "_G");
    push_readonly_metatable(L, visible);
    lua_pushlightuserdata(L, &key_globals_meta);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_setmetatable(L, LUA_GLOBALSINDEX);
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    skdb_lua_protect(L, -1);
    lua_pop(L, 2);
}

// MARK: - Runs: the count hook, kills, protected calls, where an error came from

static int raise_kill(lua_State *L) {
    skdb_lua_push_error_table(L, "ERR Script killed by user with SCRIPT KILL...", 45);
    return lua_error(L);
}

static void count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    host_state *state = host_of(L);
    switch (state->interrupt(state->context, L)) {
    case SKDB_KILL:
        // As Redis: every line from now on raises again. Our protected calls also
        // raise it again at once, so no pcall can swallow it.
        state->killed = 1;
        lua_sethook(L, count_hook, LUA_MASKLINE, 0);
        raise_kill(L);
        break;
    case SKDB_LOAD_TIMEOUT:
        lua_sethook(L, count_hook, LUA_MASKLINE, 0);
        skdb_lua_push_error_table(L, "ERR FUNCTION LOAD timeout", 25);
        lua_error(L);
        break;
    case SKDB_PAUSE:
        // Back to the event loop; the frames stay on the script stack until resumed.
        if (state->stack) skdb_script_stack_pause(state->stack);
        break;
    default:
        break;
    }
}

void skdb_lua_set_stack(lua_State *L, skdb_script_stack *stack) { host_of(L)->stack = stack; }

// Calls upvalue 1 with the arguments; a kill it caught is raised again.
static int reraise_kill(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    if (host_of(L)->killed) return raise_kill(L);
    return lua_gettop(L);
}

// The wrapped functions' own argument checks come first, so their errors read as
// Lua's (`bad argument #1 to 'resume'`, with the script's line).
static int guarded_resume(lua_State *L) {
    luaL_argcheck(L, lua_type(L, 1) == LUA_TTHREAD, 1, "coroutine expected");
    return reraise_kill(L);
}

static int guarded_xpcall(lua_State *L) {
    luaL_checkany(L, 2);
    return reraise_kill(L);
}

// pcall as Redis 7 has it: an error table comes back as its `err` text.
static int script_pcall(lua_State *L) {
    int count = lua_gettop(L);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    // With no arguments Redis calls a copy of the placeholder ("attempt to call a boolean value").
    if (count == 0) lua_pushboolean(L, 1);
    if (lua_pcall(L, count == 0 ? 0 : count - 1, LUA_MULTRET, 0) == 0) return lua_gettop(L);
    if (host_of(L)->killed) return raise_kill(L);
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        if (lua_isstring(L, -1)) lua_replace(L, -2);
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
    return lua_gettop(L);
}

// The message handler of a run: notes the first Lua frame's source and line (as
// Redis's error handler reports them) and passes the error on unchanged.
static int note_origin(lua_State *L) {
    host_state *state = host_of(L);
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar)) break;
        // Skipped: C functions, the prelude and tail calls (which keep no line).
        if (strcmp(ar.what, "C") == 0 || strcmp(ar.what, "tail") == 0 || strcmp(ar.source, "=prelude") == 0) continue;
        free(state->origin_source);
        state->origin_source = strdup(ar.source);
        state->origin_line = ar.currentline;
        break;
    }
    lua_settop(L, 1);
    return 1;
}

int skdb_lua_call(lua_State *L, int nargs, int hook_instructions) {
    host_state *state = host_of(L);
    state->killed = 0;
    free(state->origin_source);
    state->origin_source = NULL;
    if (hook_instructions > 0) lua_sethook(L, count_hook, LUA_MASKCOUNT, hook_instructions);
    else lua_sethook(L, NULL, 0, 0);
    // The message handler stays at the bottom of the stack (skdb_lua_open put it there).
    int status = lua_pcall(L, nargs, 1, 1);
    lua_sethook(L, NULL, 0, 0);
    return status;
}

const char *skdb_lua_error_origin(lua_State *L, int *line) {
    host_state *state = host_of(L);
    *line = state->origin_line;
    return state->origin_source;
}

void skdb_lua_close(lua_State *L) {
    host_state *state = host_of(L);
    lua_close(L);
    free(state->origin_source);
    free(state);
}

// MARK: - math.random: Redis's lrand48, so a seed gives the same numbers everywhere

typedef struct { uint64_t state; } rand48;

static int32_t rand48_next(rand48 *r) {
    r->state = (r->state * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
    return (int32_t)(r->state >> 17);
}

static int math_random(lua_State *L) {
    rand48 *r = lua_touserdata(L, lua_upvalueindex(1));
    lua_Number x = (lua_Number)(rand48_next(r) % INT32_MAX) / (lua_Number)INT32_MAX;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, x);
        break;
    case 1: {
        int upper = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= upper, 1, "interval is empty");
        lua_pushnumber(L, floor(x * upper) + 1);
        break;
    }
    case 2: {
        int lower = luaL_checkint(L, 1), upper = luaL_checkint(L, 2);
        luaL_argcheck(L, lower <= upper, 2, "interval is empty");
        lua_pushnumber(L, floor(x * (upper - lower + 1)) + lower);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int math_randomseed(lua_State *L) {
    rand48 *r = lua_touserdata(L, lua_upvalueindex(1));
    uint32_t seed = (uint32_t)luaL_checkint(L, 1);
    r->state = ((uint64_t)seed << 16) | 0x330E;
    return 0;
}

// MARK: - Hardened library functions
// Debian's Lua 5.1 and lua-bitop / lua-cjson lack fixes Redis carries in its own
// copies (CVE-2025-46817, CVE-2024-31449, CVE-2022-24834): these stand in front.

// unpack(t, i, j): the count is checked in 64 bits before any stack is touched.
static int safe_unpack(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    int first = luaL_optint(L, 2, 1);
    int last = lua_isnoneornil(L, 3) ? (int)lua_objlen(L, 1) : luaL_checkint(L, 3);
    if (first > last) return 0;
    long long count = (long long)last - first + 1;
    if (count >= INT_MAX || !lua_checkstack(L, (int)count)) return luaL_error(L, "too many results to unpack");
    for (long long index = first; index <= last; index++) lua_rawgeti(L, 1, (int)index);
    return (int)count;
}

// Calls the library function a wrapper stands in front of (its upvalue) with the
// wrapper's arguments. Its errors read as Redis's, whose copies the script calls
// directly: luaL_error places them at the caller's line ("user_script:1: ...").
// Arguments are checked in the wrapper, where the call site names the function.
static int call_wrapped(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (status == 0) return lua_gettop(L);
    if (status == LUA_ERRRUN && lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

// bit.tohex(x, n): n that wraps to -2^31 would overflow the library's negation.
static int safe_tohex(lua_State *L) {
    luaL_checknumber(L, 1);
    if (!lua_isnone(L, 2)) luaL_checknumber(L, 2);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        double n = lua_tonumber(L, 2);
        int32_t digits = (fabs(n) < 9.2e18) ? (int32_t)(uint32_t)(uint64_t)(int64_t)n : INT32_MIN;
        if (digits == INT32_MIN) {
            lua_pushinteger(L, INT32_MIN + 1);
            lua_replace(L, 2);
        }
    }
    return call_wrapped(L);
}

// cjson.encode: its buffer counts in int, so a string whose escaped form could pass
// INT_MAX bytes (or a total that could) is refused before the library sees it.
static int encoded_bound(lua_State *L, int index, int depth, double *total) {
    if (depth > 1100) return 1;  // the library refuses depth past 1000 itself
    switch (lua_type(L, index)) {
    case LUA_TSTRING:
        *total += (double)lua_objlen(L, index) * 6 + 2;
        return 1;
    case LUA_TTABLE:
        if (!lua_checkstack(L, 3)) return 1;
        lua_pushnil(L);
        while (lua_next(L, index)) {
            int top = lua_gettop(L);
            encoded_bound(L, top - 1, depth + 1, total);
            encoded_bound(L, top, depth + 1, total);
            lua_pop(L, 1);
            if (*total > (double)INT_MAX / 2) { lua_pop(L, 1); return 0; }
        }
        return 1;
    default:
        *total += 32;
        return 1;
    }
}

static int safe_cjson_encode(lua_State *L) {
    luaL_argcheck(L, lua_gettop(L) == 1, 1, "expected 1 argument");
    double total = 0;
    if (!encoded_bound(L, 1, 0, &total) || total > (double)INT_MAX / 2) {
        return luaL_error(L, "Cannot serialise: the encoded text would be too large");
    }
    return call_wrapped(L);
}

static void wrap_field(lua_State *L, const char *table, const char *name, lua_CFunction wrapper) {
    lua_getglobal(L, table);
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, wrapper, 1);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

// MARK: - Opening

// Each library ends up as the global of its name, whether or not its opener sets one.
static void open_library(lua_State *L, const char *name, lua_CFunction open) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (*name && lua_istable(L, -1)) lua_setglobal(L, name);
    else lua_pop(L, 1);
}

lua_State *skdb_lua_open(void *context, skdb_host_function host, skdb_interrupt_function interrupt) {
    host_state *state = calloc(1, sizeof(host_state));
    if (!state) return NULL;
    state->context = context;
    state->host = host;
    state->interrupt = interrupt;
    lua_State *L = lua_newstate(allocate, state);
    if (!L) {
        free(state);
        return NULL;
    }
    lua_atpanic(L, panic);
    lua_pushlightuserdata(L, &key_protected);
    lua_newtable(L);
    lua_rawset(L, LUA_REGISTRYINDEX);

    open_library(L, "", luaopen_base);
    open_library(L, LUA_TABLIBNAME, luaopen_table);
    open_library(L, LUA_STRLIBNAME, luaopen_string);
    open_library(L, LUA_MATHLIBNAME, luaopen_math);
    open_library(L, LUA_DBLIBNAME, luaopen_debug);
    open_library(L, "cjson", luaopen_cjson);
    open_library(L, "struct", skdb_luaopen_struct);
    open_library(L, "cmsgpack", skdb_luaopen_cmsgpack);
    open_library(L, "bit", luaopen_bit);

    lua_getglobal(L, "math");
    rand48 *r = lua_newuserdata(L, sizeof(rand48));
    r->state = 0x1234ABCD330EULL;
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, math_random, 1);
    lua_setfield(L, -3, "random");
    lua_pushcclosure(L, math_randomseed, 1);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);

    lua_pushcfunction(L, safe_unpack);
    lua_setglobal(L, "unpack");
    wrap_field(L, "bit", "tohex", safe_tohex);
    wrap_field(L, "cjson", "encode", safe_cjson_encode);
    // The parser does not anchor its chunk name (CVE-2025-49844): these stay referenced.
    lua_pushliteral(L, "@user_script");
    luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushliteral(L, "@user_function");
    luaL_ref(L, LUA_REGISTRYINDEX);

    lua_pushcfunction(L, guarded_rawset);
    lua_setglobal(L, "rawset");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, guarded_setmetatable, 1);
    lua_setglobal(L, "setmetatable");
    // A kill caught by a protected call, or inside a coroutine, is raised again.
    lua_pushcfunction(L, script_pcall);
    lua_setglobal(L, "pcall");
    wrap_field(L, "_G", "xpcall", guarded_xpcall);
    wrap_field(L, "coroutine", "resume", guarded_resume);

    if (skdb_lua_run_prelude(L) != 0) {
        skdb_lua_close(L);
        return NULL;
    }
    // Every run's message handler, at index 1 for good: no push per run.
    lua_settop(L, 0);
    lua_pushcfunction(L, note_origin);
    return L;
}

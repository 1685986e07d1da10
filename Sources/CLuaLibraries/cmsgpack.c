// The `cmsgpack` library of Redis scripts: MessagePack encoding of Lua values.
// Written for SwiftKeyDB to give scripts the same bytes, values and error
// texts as Redis 7.0, including its quirks (noted where they occur).
#include "CLuaLibraries.h"
#include <lua5.1/lauxlib.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Tables nested deeper than this are packed as nil, which also stops
 * self-referencing tables. */
#define PACK_MAX_DEPTH 16

#define BUFFER_METATABLE "skdb.cmsgpack.buffer"

/* ------------------------------------------------------------------------
 * Output buffer. It lives in a userdata so that a Lua error raised while
 * packing (stack overflow, out of memory) cannot leak it: the collector
 * frees the bytes through __gc. Memory comes from the state's allocator so
 * it is accounted like the rest of the script's memory. */

typedef struct {
    unsigned char *bytes;
    size_t length, capacity;
    lua_Alloc alloc;
    void *alloc_ud;
} PackBuffer;

static void buffer_release(PackBuffer *b) {
    if (b->bytes != NULL) b->alloc(b->alloc_ud, b->bytes, b->capacity, 0);
    b->bytes = NULL;
    b->length = b->capacity = 0;
}

static int buffer_gc(lua_State *L) {
    buffer_release((PackBuffer *)luaL_checkudata(L, 1, BUFFER_METATABLE));
    return 0;
}

static PackBuffer *buffer_push_new(lua_State *L) {
    PackBuffer *b = (PackBuffer *)lua_newuserdata(L, sizeof *b);
    b->bytes = NULL;
    b->length = b->capacity = 0;
    b->alloc = lua_getallocf(L, &b->alloc_ud);
    luaL_getmetatable(L, BUFFER_METATABLE);
    lua_setmetatable(L, -2);
    return b;
}

static void buffer_append(lua_State *L, PackBuffer *b, const void *data, size_t n) {
    if (b->capacity - b->length < n) {
        size_t wanted = b->length + n;
        if (wanted < n || wanted > SIZE_MAX / 2) luaL_error(L, "not enough memory");
        size_t grown = b->capacity < 64 ? 64 : b->capacity;
        while (grown < wanted) grown *= 2;
        void *moved = b->alloc(b->alloc_ud, b->bytes, b->capacity, grown);
        if (moved == NULL) luaL_error(L, "not enough memory");
        b->bytes = moved;
        b->capacity = grown;
    }
    memcpy(b->bytes + b->length, data, n);
    b->length += n;
}

/* A type byte followed by `width` bytes of `value`, most significant first. */
static void put_tagged(lua_State *L, PackBuffer *b, unsigned char tag, uint64_t value, int width) {
    unsigned char out[9];
    out[0] = tag;
    for (int i = width; i >= 1; i--) {
        out[i] = (unsigned char)(value & 0xff);
        value >>= 8;
    }
    buffer_append(L, b, out, (size_t)width + 1);
}

/* ------------------------------------------------------------------------
 * Encoding */

static void put_integer(lua_State *L, PackBuffer *b, int64_t n) {
    if (n >= 0) {
        if (n <= 0x7f) put_tagged(L, b, (unsigned char)n, 0, 0);
        else if (n <= 0xff) put_tagged(L, b, 0xcc, (uint64_t)n, 1);
        else if (n <= 0xffff) put_tagged(L, b, 0xcd, (uint64_t)n, 2);
        else if (n <= 0xffffffffLL) put_tagged(L, b, 0xce, (uint64_t)n, 4);
        else put_tagged(L, b, 0xcf, (uint64_t)n, 8);
    } else {
        if (n >= -32) put_tagged(L, b, (unsigned char)(n & 0xff), 0, 0);
        else if (n >= INT8_MIN) put_tagged(L, b, 0xd0, (uint64_t)n, 1);
        else if (n >= INT16_MIN) put_tagged(L, b, 0xd1, (uint64_t)n, 2);
        else if (n >= INT32_MIN) put_tagged(L, b, 0xd2, (uint64_t)n, 4);
        else put_tagged(L, b, 0xd3, (uint64_t)n, 8);
    }
}

/* Lua 5.1 numbers are doubles. Like Redis: integral values in the int64
 * range go out as integers (so -0 packs as 0), the rest as a float32 when
 * that loses nothing (infinities included), else as a float64. */
static void put_number(lua_State *L, PackBuffer *b, double d) {
    if (d >= -0x1p63 && d < 0x1p63 && d == (double)(int64_t)d) {
        put_integer(L, b, (int64_t)d);
    } else if (isinf(d) || (fabs(d) <= FLT_MAX && (double)(float)d == d)) {
        float f = (float)d;
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        put_tagged(L, b, 0xca, bits, 4);
    } else {
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        put_tagged(L, b, 0xcb, bits, 8);
    }
}

/* Redis never emits the bin types: every Lua string is a str. */
static void put_string(lua_State *L, PackBuffer *b, const char *s, size_t n) {
    if (n < 32) put_tagged(L, b, (unsigned char)(0xa0 | n), 0, 0);
    else if (n <= 0xff) put_tagged(L, b, 0xd9, n, 1);
    else if (n <= 0xffff) put_tagged(L, b, 0xda, n, 2);
    else put_tagged(L, b, 0xdb, n & 0xffffffffu, 4);
    buffer_append(L, b, s, n);
}

/* fix/16/32 header for arrays (fix_base 0x90, wide 0xdc) or maps (0x80, 0xde). */
static void put_container(lua_State *L, PackBuffer *b, unsigned char fix_base,
                          unsigned char wide16, size_t count) {
    if (count <= 15) put_tagged(L, b, (unsigned char)(fix_base | count), 0, 0);
    else if (count <= 0xffff) put_tagged(L, b, wide16, count, 2);
    else put_tagged(L, b, (unsigned char)(wide16 + 1), count & 0xffffffffu, 4);
}

/* The stack checks below use the amounts and texts of Redis's encoder, so
 * a script that runs the stack out fails at the same sizes with the same
 * message. */

/* n when the table at the top has exactly the keys 1..n (n may be 0: an
 * empty table is an array), else -1. As in Redis, only keys up to INT_MAX
 * count as indexes. */
static int sequence_length(lua_State *L) {
    int count = 0, highest = 0;
    luaL_checkstack(L, 2, "in function table_is_an_array");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        double k = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
        if (!(k >= 1 && k <= INT_MAX && k == floor(k))) {
            lua_pop(L, 1);
            return -1;
        }
        count++;
        if ((int)k > highest) highest = (int)k;
    }
    return count == highest ? count : -1;
}

static void encode_top(lua_State *L, PackBuffer *b, int depth);

static void encode_table(lua_State *L, PackBuffer *b, int depth) {
    int length = sequence_length(L);
    if (length >= 0) {
        put_container(L, b, 0x90, 0xdc, (size_t)length);
        luaL_checkstack(L, 1, "in function mp_encode_lua_table_as_array");
        for (int i = 1; i <= length; i++) {
            lua_rawgeti(L, -1, i);
            encode_top(L, b, depth + 1);
        }
        return;
    }
    luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
    size_t pairs = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        pairs++;
    }
    put_container(L, b, 0x80, 0xde, pairs);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2); /* encoding pops; lua_next needs the key back */
        encode_top(L, b, depth + 1);
        encode_top(L, b, depth + 1);
    }
}

/* Packs the value at the top of the stack and pops it. */
static void encode_top(lua_State *L, PackBuffer *b, int depth) {
    switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        put_string(L, b, s, n);
        break;
    }
    case LUA_TBOOLEAN:
        put_tagged(L, b, lua_toboolean(L, -1) ? 0xc3 : 0xc2, 0, 0);
        break;
    case LUA_TNUMBER:
        put_number(L, b, lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        if (depth < PACK_MAX_DEPTH) encode_table(L, b, depth);
        else put_tagged(L, b, 0xc0, 0, 0); /* too deep: nil */
        break;
    default: /* nil, functions, userdata, threads */
        put_tagged(L, b, 0xc0, 0, 0);
        break;
    }
    lua_pop(L, 1);
}

/* cmsgpack.pack(v1, ...): the arguments' encodings, concatenated. */
static int pack(lua_State *L) {
    int argc = lua_gettop(L);
    if (argc == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
    if (!lua_checkstack(L, argc)) return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");

    PackBuffer *b = buffer_push_new(L);
    for (int i = 1; i <= argc; i++) {
        luaL_checkstack(L, 1, "in function mp_check");
        lua_pushvalue(L, i);
        encode_top(L, b, 0);
        /* Redis holds one string per packed argument on the stack; taking
         * as many slots keeps its stack-overflow limits for long calls. */
        if (i > 1 && i < argc) lua_pushnil(L);
    }
    lua_pushlstring(L, (const char *)b->bytes, b->length);
    buffer_release(b);
    return 1;
}

/* ------------------------------------------------------------------------
 * Decoding */

enum { READ_OK, READ_SHORT, READ_BAD };

typedef struct {
    const unsigned char *at;
    size_t left;
    int status;
} Reader;

/* The next `width` bytes after the type byte, big-endian. */
static uint64_t read_be(const Reader *r, int width) {
    uint64_t v = 0;
    for (int i = 1; i <= width; i++) v = (v << 8) | r->at[i];
    return v;
}

static int have(Reader *r, size_t n) {
    if (r->left >= n) return 1;
    r->status = READ_SHORT;
    return 0;
}

static void skip(Reader *r, size_t n) {
    r->at += n;
    r->left -= n;
}

static void decode_value(lua_State *L, Reader *r);

static void decode_array(lua_State *L, Reader *r, size_t count) {
    lua_newtable(L);
    luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
    for (size_t i = 1; i <= count; i++) {
        lua_pushnumber(L, (lua_Number)i);
        decode_value(L, r);
        if (r->status != READ_OK) return;
        lua_rawset(L, -3);
    }
}

/* A nil or NaN key raises Lua's own "table index is nil/NaN", as in Redis. */
static void decode_map(lua_State *L, Reader *r, size_t count) {
    lua_newtable(L);
    while (count-- > 0) {
        decode_value(L, r);
        if (r->status != READ_OK) return;
        decode_value(L, r);
        if (r->status != READ_OK) return;
        lua_rawset(L, -3);
    }
}

/* A string whose length takes `width` bytes after the type byte. */
static void decode_string(lua_State *L, Reader *r, int width) {
    if (!have(r, 1 + (size_t)width)) return;
    size_t n = (size_t)read_be(r, width);
    skip(r, 1 + (size_t)width);
    if (!have(r, n)) return;
    lua_pushlstring(L, (const char *)r->at, n);
    skip(r, n);
}

/* An array or map whose count takes `width` bytes after the type byte. */
static void decode_container(lua_State *L, Reader *r, int width, int is_map) {
    if (!have(r, 1 + (size_t)width)) return;
    size_t count = (size_t)read_be(r, width);
    skip(r, 1 + (size_t)width);
    if (is_map) decode_map(L, r, count);
    else decode_array(L, r, count);
}

/* Integers of 1 to 8 bytes after the type byte. uint64 goes through
 * lua_Integer as in Redis, so values from 2^63 up come back negative. */
static void decode_integer(lua_State *L, Reader *r, int width, int is_signed) {
    if (!have(r, 1 + (size_t)width)) return;
    uint64_t v = read_be(r, width);
    if (is_signed && width < 8 && (v >> (width * 8 - 1)) != 0) v |= ~UINT64_C(0) << (width * 8);
    lua_pushinteger(L, (lua_Integer)(int64_t)v);
    skip(r, 1 + (size_t)width);
}

/* Pushes the value at the reader, or leaves a status of READ_SHORT or
 * READ_BAD (bin, ext and 0xc1 are not supported, as in Redis). */
static void decode_value(lua_State *L, Reader *r) {
    if (!have(r, 1)) return;
    luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
    unsigned char tag = r->at[0];

    if (tag <= 0x7f || tag >= 0xe0) { /* positive and negative fixints */
        lua_pushinteger(L, (lua_Integer)(int8_t)tag);
        skip(r, 1);
        return;
    }
    if ((tag & 0xe0) == 0xa0) { /* fixstr: the length is in the tag */
        size_t n = tag & 0x1f;
        if (!have(r, 1 + n)) return;
        lua_pushlstring(L, (const char *)r->at + 1, n);
        skip(r, 1 + n);
        return;
    }
    if ((tag & 0xf0) == 0x90 || (tag & 0xf0) == 0x80) { /* fixarray, fixmap */
        skip(r, 1);
        if (tag & 0x10) decode_array(L, r, tag & 0x0f);
        else decode_map(L, r, tag & 0x0f);
        return;
    }
    switch (tag) {
    case 0xc0: lua_pushnil(L); skip(r, 1); return;
    case 0xc2: lua_pushboolean(L, 0); skip(r, 1); return;
    case 0xc3: lua_pushboolean(L, 1); skip(r, 1); return;
    case 0xca:
        if (have(r, 5)) {
            uint32_t bits = (uint32_t)read_be(r, 4);
            float f;
            memcpy(&f, &bits, sizeof f);
            lua_pushnumber(L, f);
            skip(r, 5);
        }
        return;
    case 0xcb:
        if (have(r, 9)) {
            uint64_t bits = read_be(r, 8);
            double d;
            memcpy(&d, &bits, sizeof d);
            lua_pushnumber(L, d);
            skip(r, 9);
        }
        return;
    case 0xcc: decode_integer(L, r, 1, 0); return;
    case 0xcd: decode_integer(L, r, 2, 0); return;
    case 0xce: decode_integer(L, r, 4, 0); return;
    case 0xcf: decode_integer(L, r, 8, 0); return;
    case 0xd0: decode_integer(L, r, 1, 1); return;
    case 0xd1: decode_integer(L, r, 2, 1); return;
    case 0xd2: decode_integer(L, r, 4, 1); return;
    case 0xd3: decode_integer(L, r, 8, 1); return;
    case 0xd9: decode_string(L, r, 1); return;
    case 0xda: decode_string(L, r, 2); return;
    case 0xdb: decode_string(L, r, 4); return;
    case 0xdc: decode_container(L, r, 2, 0); return;
    case 0xdd: decode_container(L, r, 4, 0); return;
    case 0xde: decode_container(L, r, 2, 1); return;
    case 0xdf: decode_container(L, r, 4, 1); return;
    default: r->status = READ_BAD; return;
    }
}

/* Decodes up to `limit` values from byte `offset` of argument 1, pushed
 * above the arguments. limit == 0 && offset == 0 means "all values, no
 * offset returned" -- also when a script asks unpack_limit(s, 0), as in
 * Redis. Otherwise the next offset (-1 once the input is used up) is
 * returned first. */
static int unpack_from(lua_State *L, lua_Integer limit, lua_Integer offset) {
    size_t length;
    const char *s = luaL_checklstring(L, 1, &length);
    int everything = (limit == 0 && offset == 0);

    /* Redis prints the input's length where the limit belongs. */
    if (offset < 0 || limit < 0)
        return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                          (int)offset, (int)length);
    if ((size_t)offset > length)
        return luaL_error(L, "Start offset %d greater than input length %d.", (int)offset, (int)length);
    if (everything) limit = INT_MAX;

    Reader r = {(const unsigned char *)s + offset, length - (size_t)offset, READ_OK};
    int produced = 0;
    while (r.left > 0 && produced < limit) {
        decode_value(L, &r);
        if (r.status == READ_SHORT) return luaL_error(L, "Missing bytes in input.");
        if (r.status == READ_BAD) return luaL_error(L, "Bad data format in input.");
        produced++;
    }
    if (everything) return produced;

    luaL_checkstack(L, 1, "in function mp_unpack_full");
    lua_pushinteger(L, r.left == 0 ? -1 : (lua_Integer)(length - r.left));
    lua_insert(L, 2);
    return produced + 1;
}

/* Drops arguments after the first. An empty stack stays empty, so a
 * missing string is reported as "got no value", as in Redis. */
static void keep_first_argument(lua_State *L) {
    if (lua_gettop(L) > 1) lua_settop(L, 1);
}

/* cmsgpack.unpack(s): every value in s. Extra arguments are ignored. */
static int unpack_all(lua_State *L) {
    return unpack_from(L, 0, 0);
}

/* cmsgpack.unpack_one(s [, offset]) -> next offset, value */
static int unpack_one(lua_State *L) {
    lua_Integer offset = luaL_optinteger(L, 2, 0);
    keep_first_argument(L);
    return unpack_from(L, 1, offset);
}

/* cmsgpack.unpack_limit(s, limit [, offset]) -> next offset, values... */
static int unpack_limit(lua_State *L) {
    lua_Integer limit = luaL_checkinteger(L, 2);
    lua_Integer offset = luaL_optinteger(L, 3, 0);
    keep_first_argument(L);
    return unpack_from(L, limit, offset);
}

/* ------------------------------------------------------------------------ */

int skdb_luaopen_cmsgpack(lua_State *L) {
    luaL_newmetatable(L, BUFFER_METATABLE);
    lua_pushcfunction(L, buffer_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);

    /* Fields set in Redis's order on a fresh table, so pairs() visits
     * them in the same order; the metadata is what Redis scripts read. */
    static const luaL_Reg functions[] = {
        {"pack", pack},
        {"unpack", unpack_all},
        {"unpack_one", unpack_one},
        {"unpack_limit", unpack_limit},
    };
    static const char *const metadata[][2] = {
        {"_NAME", "cmsgpack"},
        {"_VERSION", "lua-cmsgpack 0.4.0"},
        {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
        {"_DESCRIPTION", "MessagePack C implementation for Lua"},
    };
    lua_newtable(L);
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        lua_pushcfunction(L, functions[i].func);
        lua_setfield(L, -2, functions[i].name);
    }
    for (size_t i = 0; i < sizeof metadata / sizeof metadata[0]; i++) {
        lua_pushstring(L, metadata[i][1]);
        lua_setfield(L, -2, metadata[i][0]);
    }
    lua_pushvalue(L, -1);
    lua_setglobal(L, "cmsgpack");
    return 1;
}

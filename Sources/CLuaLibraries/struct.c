// The `struct` library of Redis scripts: packing numbers and strings into
// binary layouts and back. Written for SwiftKeyDB to give scripts the same
// bytes, values and error texts as Redis 7.0 (as built for x86-64 Linux).
//
// Format letters: '<' little / '>' big endian (native by default), '!n'
// maximum alignment (default 8, no alignment until given), 'x' a zero byte,
// 'b'/'B' char, 'h'/'H' short, 'l'/'L' long, 'T' size_t, 'i'/'I' int or
// 'in' of n bytes (up to 32), 'f' float, 'd' double, 'cn' n chars (c0: the
// whole string when packing, a length read just before when unpacking),
// 's' a zero-terminated string, ' ' ignored. Lowercase integers are signed.
// Redis's struct has no '=': it is rejected as an invalid option.
#include "CLuaLibraries.h"
#include <lua5.1/lauxlib.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#define INTEGER_SIZE_LIMIT 32
#define DEFAULT_MAX_ALIGN 8 /* a double's alignment on the 64-bit targets */

typedef struct {
    int little;       /* byte order of numbers */
    size_t max_align; /* items align to min(size, max_align) */
} Layout;

static void layout_init(Layout *lay) {
    const uint16_t probe = 1;
    lay->little = *(const unsigned char *)&probe == 1;
    lay->max_align = 1;
}

/* The format is read byte by byte in the C locale, whatever the process's. */
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_alnum(int c) { return is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z'); }

/* The decimal count after an option letter, or `fallback` when none. */
static int read_count(lua_State *L, const char **fmt, int fallback) {
    if (!is_digit(**fmt)) return fallback;
    int n = 0;
    while (is_digit(**fmt)) {
        int digit = *(*fmt)++ - '0';
        if (n > (INT_MAX - digit) / 10) luaL_error(L, "integral size overflow");
        n = n * 10 + digit;
    }
    return n;
}

/* The size of one item (reading its count from the format). Options that
 * are not items -- and 's', whose size depends on the data -- are 0. */
static size_t item_size(lua_State *L, int opt, const char **fmt) {
    switch (opt) {
    case 'b': case 'B': case 'x': return 1;
    case 'h': case 'H': return sizeof(short);
    case 'l': case 'L': return sizeof(long);
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'c': return (size_t)read_count(L, fmt, 1);
    case 'i': case 'I': {
        int n = read_count(L, fmt, sizeof(int));
        if (n > INTEGER_SIZE_LIMIT)
            luaL_error(L, "integral size %d is larger than limit of %d", n, INTEGER_SIZE_LIMIT);
        return (size_t)n;
    }
    default: return 0;
    }
}

/* Zero bytes to insert before an item at `offset`. Redis computes this with
 * a power-of-two mask even for sizes that are not one (i3, i5...); the
 * same formula keeps those layouts identical. */
static size_t padding(size_t offset, const Layout *lay, int opt, size_t size) {
    if (size == 0 || opt == 'c') return 0;
    size_t align = size < lay->max_align ? size : lay->max_align;
    return (align - (offset & (align - 1))) & (align - 1);
}

/* Options that change the layout; anything else is an invalid option. */
static void apply_control(lua_State *L, int opt, const char **fmt, Layout *lay) {
    switch (opt) {
    case ' ': return;
    case '<': lay->little = 1; return;
    case '>': lay->little = 0; return;
    case '!': {
        int n = read_count(L, fmt, DEFAULT_MAX_ALIGN);
        if (n <= 0 || (n & (n - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", n);
        lay->max_align = (size_t)n;
        return;
    }
    default:
        luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
    }
}

/* A Lua number as the 64-bit pattern Redis's struct stores. Redis converts
 * with plain C casts, which on x86-64 give 0x8000000000000000 for NaN and
 * values below -2^63, and 0 from 2^64 up; spelled out here so the result
 * is defined and the same on every machine. */
static uint64_t number_bits(double n) {
    if (n != n) return UINT64_C(1) << 63;
    if (n < 0) return n >= -0x1p63 ? (uint64_t)(int64_t)n : UINT64_C(1) << 63;
    if (n < 0x1p64) return (uint64_t)n;
    return 0;
}

/* `size` bytes of `value` in the layout's order; bytes past the eighth are
 * zero (no sign extension, as in Redis). */
static void put_integer(luaL_Buffer *b, uint64_t value, int little, size_t size) {
    char out[INTEGER_SIZE_LIMIT];
    for (size_t i = 0; i < size; i++) {
        out[little ? i : size - 1 - i] = (char)(i < 8 ? (value >> (8 * i)) & 0xff : 0);
    }
    luaL_addlstring(b, out, size);
}

/* Only the last 8 significant bytes survive; the sign mask for sizes over
 * 8 (and 0) wraps its shift modulo 64, as Redis's shift does on x86-64. */
static double get_integer(const char *data, int little, int is_signed, size_t size) {
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++) {
        v = (v << 8) | (unsigned char)data[little ? size - 1 - i : i];
    }
    if (!is_signed) return (double)v;
    uint64_t sign = ~UINT64_C(0) << ((size * 8 - 1) & 63);
    if (v & sign) v |= sign;
    return (double)(int64_t)v;
}

/* Copies a float or double in the layout's byte order. */
static void copy_ordered(char *to, const char *from, size_t size, int little) {
    const uint16_t probe = 1;
    int native_little = *(const unsigned char *)&probe == 1;
    for (size_t i = 0; i < size; i++) to[i] = from[little == native_little ? i : size - 1 - i];
}

/* struct.pack(fmt, ...) */
static int struct_pack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    int arg = 2;
    size_t total = 0;
    Layout lay;
    layout_init(&lay);
    luaL_Buffer b;
    /* The buffer may push its pieces on the stack: this nil keeps the slot
     * after the last argument from looking like an argument (Redis does
     * the same, so a missing value reads "got nil" there). */
    lua_pushnil(L);
    luaL_buffinit(L, &b);

    while (*fmt != '\0') {
        int opt = *fmt++;
        size_t size = item_size(L, opt, &fmt);
        size_t pad = padding(total, &lay, opt, size);
        total += pad;
        while (pad-- > 0) luaL_addchar(&b, '\0');

        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L':
        case 'T': case 'i': case 'I':
            put_integer(&b, number_bits(luaL_checknumber(L, arg++)), lay.little, size);
            break;
        case 'x':
            luaL_addchar(&b, '\0');
            break;
        case 'f': {
            float f = (float)luaL_checknumber(L, arg++);
            char out[sizeof f];
            copy_ordered(out, (const char *)&f, sizeof f, lay.little);
            luaL_addlstring(&b, out, sizeof f);
            break;
        }
        case 'd': {
            double d = luaL_checknumber(L, arg++);
            char out[sizeof d];
            copy_ordered(out, (const char *)&d, sizeof d, lay.little);
            luaL_addlstring(&b, out, sizeof d);
            break;
        }
        case 'c': case 's': {
            size_t length;
            const char *s = luaL_checklstring(L, arg++, &length);
            if (size == 0) size = length;
            /* Redis names the argument after the string in this error. */
            luaL_argcheck(L, length >= size, arg, "string too short");
            luaL_addlstring(&b, s, size);
            if (opt == 's') {
                luaL_addchar(&b, '\0');
                size++;
            }
            break;
        }
        default:
            apply_control(L, opt, &fmt, &lay);
        }
        total += size;
    }
    luaL_pushresult(&b);
    return 1;
}

/* True when `size` bytes are available at `pos`. */
static int fits(size_t pos, size_t size, size_t length) {
    return size <= length && pos <= length - size;
}

/* struct.unpack(fmt, s [, pos]) -> values..., next position */
static int struct_unpack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    size_t length;
    const char *data = luaL_checklstring(L, 2, &length);
    /* Unsigned like Redis's: a negative start passes this check and then
     * fails as "data string too short". */
    size_t pos = (size_t)luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
    pos--;
    int results = 0;
    Layout lay;
    layout_init(&lay);

    while (*fmt != '\0') {
        int opt = *fmt++;
        size_t size = item_size(L, opt, &fmt);
        pos += padding(pos, &lay, opt, size);
        luaL_argcheck(L, fits(pos, size, length), 2, "data string too short");
        luaL_checkstack(L, 2, "too many results");

        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L':
        case 'T': case 'i': case 'I':
            lua_pushnumber(L, get_integer(data + pos, lay.little, is_lower(opt), size));
            results++;
            break;
        case 'x':
            break;
        case 'f': {
            float f;
            copy_ordered((char *)&f, data + pos, sizeof f, lay.little);
            lua_pushnumber(L, f);
            results++;
            break;
        }
        case 'd': {
            double d;
            copy_ordered((char *)&d, data + pos, sizeof d, lay.little);
            lua_pushnumber(L, d);
            results++;
            break;
        }
        case 'c':
            if (size == 0) {
                /* The length is the previous result, which it replaces;
                 * a numeric string counts, as lua_isnumber says. */
                if (results == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
                size = (size_t)number_bits(lua_tonumber(L, -1));
                lua_pop(L, 1);
                results--;
                luaL_argcheck(L, fits(pos, size, length), 2, "data string too short");
            }
            lua_pushlstring(L, data + pos, size);
            results++;
            break;
        case 's': {
            const char *end = memchr(data + pos, '\0', length - pos);
            if (end == NULL) luaL_error(L, "unfinished string in data");
            size = (size_t)(end - (data + pos)) + 1;
            lua_pushlstring(L, data + pos, size - 1);
            results++;
            break;
        }
        default:
            apply_control(L, opt, &fmt, &lay);
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)(pos + 1));
    return results + 1;
}

/* struct.size(fmt): bytes that struct.pack(fmt, ...) produces. Letters and
 * digits it does not know count as 0 here (only pack and unpack reject
 * them), as in Redis. */
static int struct_size(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    size_t pos = 0;
    Layout lay;
    layout_init(&lay);
    while (*fmt != '\0') {
        int opt = *fmt++;
        size_t size = item_size(L, opt, &fmt);
        pos += padding(pos, &lay, opt, size);
        if (opt == 's') luaL_argerror(L, 1, "option 's' has no fixed size");
        else if (opt == 'c' && size == 0) luaL_argerror(L, 1, "option 'c0' has no fixed size");
        if (!is_alnum(opt)) apply_control(L, opt, &fmt, &lay);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

int skdb_luaopen_struct(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"pack", struct_pack},
        {"unpack", struct_unpack},
        {"size", struct_size},
        {NULL, NULL},
    };
    luaL_register(L, "struct", functions);
    return 1;
}

#ifndef SWIFTKEYDB_CLUALIBRARIES_H
#define SWIFTKEYDB_CLUALIBRARIES_H
#include <lua5.1/lua.h>

/// Opens the `cmsgpack` library (MessagePack, as Redis 7.0 scripts see it):
/// sets the global `cmsgpack` and returns 1 with the table on the stack.
int skdb_luaopen_cmsgpack(lua_State *L);

/// Opens the `struct` library (binary packing, as Redis 7.0 scripts see it):
/// sets the global `struct` and returns 1 with the table on the stack.
int skdb_luaopen_struct(lua_State *L);

#endif

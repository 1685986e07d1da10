// Lua-side pieces of the sandbox, run once per interpreter before it is sealed.
#include "CLuaBridge.h"

static const char prelude[] =
"local type, byte, concat, loadstring_raw = type, string.byte, table.concat, loadstring\n"
"\n"
"-- Compiled chunks are refused, as Redis's interpreter refuses them.\n"
"loadstring = function(text, name)\n"
"  if type(text) == 'string' and byte(text, 1) == 27 then return nil, 'binary chunks are not allowed' end\n"
"  return loadstring_raw(text, name)\n"
"end\n"
"load = function(reader, name)\n"
"  local pieces = {}\n"
"  while true do\n"
"    local piece = reader()\n"
"    if piece == nil or piece == '' then break end\n"
"    if type(piece) ~= 'string' then return nil, 'reader function must return a string' end\n"
"    pieces[#pieces + 1] = piece\n"
"  end\n"
"  return loadstring(concat(pieces), name or '=(load)')\n"
"end\n";

int skdb_lua_run_prelude(lua_State *L) {
    if (luaL_loadbuffer(L, prelude, sizeof(prelude) - 1, "=prelude") != 0) return 1;
    return lua_pcall(L, 0, 0, 0);
}

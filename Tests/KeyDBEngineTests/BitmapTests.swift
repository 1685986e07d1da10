import KeyDBEngine
import Testing

/// Bitmap commands; every expected reply was checked against redis-server 7.0.15.
@Suite("bitmaps")
struct BitmapTests {
    @Test("SETBIT grows the string with zero bytes and answers the old bit; an unchanged bit is no write")
    func setbit() {
        let h = EngineHarness()
        h.script([
            ("SETBIT b 7 1", int(0)), ("SETBIT b 7 1", int(1)), ("GET b", bulk("\u{01}")),
            ("SETBIT b 17 1", int(0)), ("STRLEN b", int(3)), ("GETBIT b 17", int(1)), ("GETBIT b 1000", int(0)),
            ("SETBIT b -1 1", "-ERR bit offset is not an integer or out of range\r\n"),
            ("SETBIT b 4294967296 1", "-ERR bit offset is not an integer or out of range\r\n"),
            ("SETBIT b 1 2", "-ERR bit is not an integer or out of range\r\n"),
        ])
        let dirty = h.engine.keyspace.dirty
        h.run("SETBIT", "b", "7", "1")
        #expect(h.engine.keyspace.dirty == dirty)
        h.run("SETBIT", "b", "7", "0")
        #expect(h.engine.keyspace.dirty == dirty + 1)
    }

    @Test("BITCOUNT over bytes and bits, negative indexes and the missing key")
    func bitcount() {
        let h = EngineHarness()
        h.script([
            ("SET s foobar", ok), ("BITCOUNT s", int(26)), ("BITCOUNT s 1 1", int(6)), ("BITCOUNT s -2 -1", int(7)),
            ("BITCOUNT s 1 1 BIT", int(1)), ("BITCOUNT s 5 30 bit", int(17)), ("BITCOUNT s -7 -1 bit", int(4)),
            ("BITCOUNT s -1 -2", int(0)), ("BITCOUNT s -1 -2 foo", int(0)), ("BITCOUNT s 0 0 foo", syntaxError),
            ("BITCOUNT s 0", syntaxError), ("BITCOUNT s a 1", notInteger),
            ("BITCOUNT nokey a b c d", int(0)), ("LPUSH l x", int(1)), ("BITCOUNT l", wrongType),
        ])
    }

    @Test("BITPOS: the end given or not decides whether all ones answer -1 or the bit after them")
    func bitpos() {
        let h = EngineHarness()
        h.script([
            ("SET ones \"\\xff\\xff\\xff\"", ok),
            ("BITPOS ones 0", int(24)), ("BITPOS ones 0 0", int(24)), ("BITPOS ones 0 0 -1", int(-1)),
            ("BITPOS ones 0 0 -1 bit", int(-1)), ("BITPOS ones 0 0 23 bit", int(-1)), ("BITPOS ones 1 5 7 bit", int(5)),
            ("BITPOS ones 0 3 bit", notInteger),
            ("SET mix \"\\xff\\xf0\\x00\"", ok),
            ("BITPOS mix 0", int(12)), ("BITPOS mix 1 2", int(-1)), ("BITPOS mix 0 4 11 bit", int(-1)),
            ("BITPOS mix 0 12 23 bit", int(12)), ("BITPOS mix 1 12 15 bit", int(-1)), ("BITPOS mix 0 -9 -3 bit", int(15)),
            ("BITPOS mix 1 3 2", int(-1)),
            ("BITPOS nokey 0", int(0)), ("BITPOS nokey 1", int(-1)),
            ("BITPOS mix 2", "-ERR The bit argument must be 1 or 0.\r\n"),
            ("BITPOS mix 0 1 foo foo", syntaxError), ("BITPOS mix 0 1 2 bit extra", syntaxError),
        ])
    }

    @Test("BITOP: zero padding, NOT's single key, an empty result deletes the destination")
    func bitop() {
        let h = EngineHarness()
        h.script([
            ("SET a foobar", ok), ("SET short \"\\xf0\"", ok),
            ("BITOP AND d a short", int(6)), ("GET d", bulk("`\u{0}\u{0}\u{0}\u{0}\u{0}")),
            ("BITOP OR d short a", int(6)), ("BITCOUNT d", int(28)), ("GETRANGE d 1 -1", bulk("oobar")),
            ("BITOP NOT d a b", "-ERR BITOP NOT must be called with a single source key.\r\n"),
            ("BITOP NAND d a", syntaxError),
            ("SET d x", ok), ("EXPIRE d 100", int(1)), ("BITOP OR d a", int(6)), ("TTL d", int(-1)),
            ("BITOP AND d nokey nokey2", int(0)), ("EXISTS d", int(0)),
            ("LPUSH l x", int(1)), ("BITOP AND d a l", wrongType),
        ])
    }

    @Test("BITFIELD: widths, #N offsets, the three overflow rules and their errors")
    func bitfield() {
        let h = EngineHarness()
        h.script([
            ("BITFIELD bf SET i8 0 -100 GET u8 0 GET i4 4", "*3\r\n:0\r\n:156\r\n:-4\r\n"),
            ("BITFIELD bf OVERFLOW SAT INCRBY u2 102 1 INCRBY u2 102 1 INCRBY u2 102 1 INCRBY u2 102 1", "*4\r\n:1\r\n:2\r\n:3\r\n:3\r\n"),
            ("BITFIELD bf OVERFLOW FAIL INCRBY u2 104 3 INCRBY u2 104 1", "*2\r\n:3\r\n$-1\r\n"),
            ("BITFIELD bf INCRBY i8 0 200 OVERFLOW SAT INCRBY i8 0 200 OVERFLOW FAIL INCRBY i8 0 -300",
             "*3\r\n:100\r\n:127\r\n$-1\r\n"),
            ("BITFIELD b64 SET i64 0 9223372036854775807 INCRBY i64 0 1", "*2\r\n:0\r\n:-9223372036854775808\r\n"),
            ("BITFIELD b8 SET u8 0 -1 OVERFLOW SAT SET u8 0 -1 GET u8 0", "*3\r\n:0\r\n:255\r\n:255\r\n"),
            ("BITFIELD bf SET u8 #2 77 GET u8 16", "*2\r\n:0\r\n:77\r\n"),
            ("BITFIELD bf GET u64 0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            ("BITFIELD bf GET i65 0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            ("BITFIELD bf GET u8 #-1", "-ERR bit offset is not an integer or out of range\r\n"),
            ("BITFIELD bf OVERFLOW xyz", "-ERR Invalid OVERFLOW type specified\r\n"),
            ("BITFIELD bf GET u8", syntaxError), ("BITFIELD bf SET u8 0 x", notInteger),
            ("BITFIELD_RO bf GET u8 16", "*1\r\n:77\r\n"),
            ("BITFIELD_RO bf SET u8 0 1", "-ERR BITFIELD_RO only supports the GET subcommand\r\n"),
            ("BITFIELD nokey GET u8 0", "*1\r\n:0\r\n"), ("EXISTS nokey", int(0)),
            // A write refused by FAIL still creates the padded key, as Redis does.
            ("BITFIELD newkey OVERFLOW FAIL INCRBY u2 10 5", "*1\r\n$-1\r\n"), ("GET newkey", bulk("\u{0}\u{0}")),
        ])
    }

    @Test("SETBIT and BITFIELD mark the string raw, as Redis's in-place edits do")
    func editedStringsAreRaw() {
        let h = EngineHarness()
        h.script([
            ("SET n 12345", ok), ("OBJECT ENCODING n", bulk("int")),
            ("SETBIT n 0 0", int(0)), ("OBJECT ENCODING n", bulk("raw")), ("GET n", bulk("12345")),
            ("SET m abc", ok), ("BITFIELD m GET u8 0 SET u8 0 65", "*2\r\n:97\r\n:97\r\n"), ("OBJECT ENCODING m", bulk("raw")),
        ])
    }
}

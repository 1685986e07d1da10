import KeyDBEngine
import Testing

/// String commands; every expected reply was checked against redis-server 7.0.15.
@Suite("string commands")
struct StringCommandTests {
    @Test("GET, SET, binary values")
    func getSet() {
        let h = EngineHarness()
        h.script([("GET k", nullBulk), ("SET k v", ok), ("GET k", bulk("v")), ("SET k \"\"", ok), ("GET k", "$0\r\n\r\n")])
        let binary: [UInt8] = [0, 13, 10, 0xFF, 0x80]
        #expect(h.run(bytes: Array("SET".utf8), [0, 1], binary) == Array(ok.utf8))
        #expect(h.run(bytes: Array("GET".utf8), [0, 1]) == Array("$5\r\n".utf8) + binary + [13, 10])
        let big = [UInt8](repeating: 7, count: 100_000)
        h.run(bytes: Array("SET".utf8), Array("big".utf8), big)
        #expect(h.run(bytes: Array("GET".utf8), Array("big".utf8)) == Array("$100000\r\n".utf8) + big + [13, 10])
        #expect(h.run("STRLEN", "big") == int(100_000))
    }

    @Test("SET option errors")
    func setOptionErrors() {
        let h = EngineHarness()
        h.script([
            ("SET k v NX XX", syntaxError), ("SET k v XX NX", syntaxError),
            ("SET k v EX 10 PX 100", syntaxError), ("SET k v PX 100 EX 1", syntaxError),
            ("SET k v KEEPTTL EX 10", syntaxError), ("SET k v EX 10 KEEPTTL", syntaxError),
            ("SET k v EX", syntaxError), ("SET k v PX", syntaxError), ("SET k v FOO", syntaxError),
            ("SET k v PERSIST", syntaxError), ("SET k v EX 10 PXAT 100", syntaxError),
            ("SET k v EX 10 XX KEEPTTL", syntaxError), ("SET k v EXAT 10 PXAT 10", syntaxError),
            ("SET k", "-ERR wrong number of arguments for 'set' command\r\n"),
            ("EXISTS k", int(0)),
        ])
    }

    @Test("SET NX / XX / GET combinations")
    func setCombinations() {
        let h = EngineHarness()
        h.script([
            ("SET k v XX", nullBulk), ("EXISTS k", int(0)),
            ("SET k v NX", ok), ("SET k w NX", nullBulk), ("GET k", bulk("v")),
            ("SET k w XX", ok), ("GET k", bulk("w")),
            ("SET k v2 NX GET", bulk("w")), ("GET k", bulk("w")),
            ("SET new v NX GET", nullBulk), ("GET new", bulk("v")),
            ("SET k v3 XX GET", bulk("w")), ("SET k v4 GET", bulk("v3")),
            ("SET missing v XX GET", nullBulk), ("EXISTS missing", int(0)),
            ("SET k v get get", bulk("v4")), ("SET k v nx nx", nullBulk),
            ("set k v5 Nx", nullBulk), ("set k v5 xX", ok), ("GET k", bulk("v5")),
            ("LPUSH l a", int(1)),
            ("SET l x GET", wrongType), ("SET l x NX GET", wrongType), ("LLEN l", int(1)),
            ("SET l x", ok), ("TYPE l", "+string\r\n"),
        ])
    }

    @Test("SETNX, GETSET, GETDEL")
    func setnxGetsetGetdel() {
        let h = EngineHarness()
        h.script([
            ("SETNX k v", int(1)), ("SETNX k w", int(0)), ("GET k", bulk("v")),
            ("GETSET k 10", bulk("v")), ("GETSET new 1", nullBulk), ("GET new", bulk("1")),
            ("LPUSH l a", int(1)), ("GETSET l x", wrongType), ("SETNX l x", int(0)),
            ("GETDEL k", bulk("10")), ("GETDEL k", nullBulk), ("EXISTS k", int(0)),
            ("GETDEL l", wrongType), ("EXISTS l", int(1)),
        ])
    }

    @Test("MSET, MSETNX, MGET")
    func multiKey() {
        let h = EngineHarness()
        h.script([
            ("MSET a 1 b 2", ok), ("MGET a b c", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"),
            ("MSET a 1 b", "-ERR wrong number of arguments for 'mset' command\r\n"),
            ("MSETNX a 1 c", "-ERR wrong number of arguments for 'msetnx' command\r\n"),
            ("MSETNX c 3 d 4", int(1)), ("MSETNX c 5 e 6", int(0)),
            ("MGET c d e", "*3\r\n$1\r\n3\r\n$1\r\n4\r\n$-1\r\n"),
            ("MSETNX x 1 x 2", int(1)), ("GET x", bulk("2")),
            ("MSET y 1 y 2", ok), ("GET y", bulk("2")),
            ("LPUSH l a", int(1)),
            ("MGET a l missing", "*3\r\n$1\r\n1\r\n$-1\r\n$-1\r\n"),
            ("MSETNX l 1 z 1", int(0)), ("EXISTS z", int(0)),
            ("MSET l 1", ok), ("TYPE l", "+string\r\n"),
            ("MGET", "-ERR wrong number of arguments for 'mget' command\r\n"),
            ("MSET a", "-ERR wrong number of arguments for 'mset' command\r\n"),
        ])
    }

    @Test("APPEND and STRLEN")
    func appendStrlen() {
        let h = EngineHarness()
        h.script([
            ("APPEND a foo", int(3)), ("APPEND a bar", int(6)), ("GET a", bulk("foobar")),
            ("APPEND a \"\"", int(6)), ("STRLEN a", int(6)), ("STRLEN missing", int(0)),
            ("APPEND e \"\"", int(0)), ("EXISTS e", int(1)), ("GET e", "$0\r\n\r\n"),
            ("LPUSH l a", int(1)), ("APPEND l x", wrongType), ("STRLEN l", wrongType),
            ("SET n 10", ok), ("INCR n", int(11)), ("APPEND n 5", int(3)), ("GET n", bulk("115")), ("INCR n", int(116)),
        ])
    }

    @Test("SETRANGE pads with zero bytes")
    func setrange() {
        let h = EngineHarness()
        h.script([("SETRANGE k 5 x", int(6))])
        #expect(h.run(bytes: Array("GET".utf8), Array("k".utf8)) == Array("$6\r\n".utf8) + [0, 0, 0, 0, 0, 120, 13, 10])
        h.script([("SETRANGE k 0 ab", int(6))])
        #expect(h.run(bytes: Array("GET".utf8), Array("k".utf8)) == Array("$6\r\n".utf8) + [97, 98, 0, 0, 0, 120, 13, 10])
        h.script([
            ("SETRANGE k 10 \"\"", int(6)), ("STRLEN k", int(6)),
            ("SETRANGE k 8 yz", int(10)), ("GETRANGE k 5 -1", "$5\r\nx\0\0yz\r\n"),
            ("SET s Hello", ok), ("SETRANGE s 1 ipp", int(5)), ("GET s", bulk("Hippo")),
            ("SETRANGE s 4 \"o World\"", int(11)), ("GET s", bulk("Hippo World")),
            ("SETRANGE m 3 \"\"", int(0)), ("EXISTS m", int(0)),
            ("SETRANGE k -1 x", "-ERR offset is out of range\r\n"), ("SETRANGE m -1 \"\"", "-ERR offset is out of range\r\n"),
            ("SETRANGE k abc x", notInteger),
            ("LPUSH l a", int(1)), ("SETRANGE l 0 x", wrongType), ("SETRANGE l 0 \"\"", wrongType),
            ("SETRANGE l -1 x", "-ERR offset is out of range\r\n"),
        ])
    }

    @Test("SETRANGE and APPEND respect proto-max-bulk-len")
    func setrangeLimit() {
        let h = EngineHarness()
        let tooLong = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
        h.script([
            ("CONFIG SET proto-max-bulk-len 1mb", ok),
            ("SETRANGE k 1048576 x", tooLong), ("EXISTS k", int(0)),
            ("SETRANGE k 1048575 x", int(1_048_576)),
            ("APPEND k y", tooLong), ("STRLEN k", int(1_048_576)),
            ("SETRANGE k 1048576 \"\"", int(1_048_576)),
            ("SETRANGE k 9223372036854775807 x", tooLong),
            ("SETRANGE j 536870912 x", tooLong),
        ])
    }

    @Test("GETRANGE edge cases", arguments: [
        ("0 -1", "Hello,World"), ("0 4", "Hello"), ("-5 -1", "World"), ("5 3", ""), ("-1 -5", ""),
        ("0 100", "Hello,World"), ("-100 -50", "H"), ("-100 2", "Hel"), ("100 200", ""), ("10 10", "d"),
        ("11 11", ""), ("-1 0", ""), ("3 -100", ""), ("0 -12", "H"), ("0 -11", "H"),
        ("9223372036854775807 9223372036854775807", ""), ("-9223372036854775808 -9223372036854775808", "H"),
        ("-9223372036854775808 9223372036854775807", "Hello,World"),
    ])
    func getrange(_ range: String, _ expected: String) {
        let h = EngineHarness()
        h.run("SET", "s", "Hello,World")
        #expect(h.run(line: "GETRANGE s \(range)") == bulk(expected))
        #expect(h.run(line: "SUBSTR s \(range)") == bulk(expected))
    }

    @Test("GETRANGE on missing, empty and wrong values")
    func getrangeSpecial() {
        let h = EngineHarness()
        h.script([
            ("GETRANGE missing 0 -1", "$0\r\n\r\n"), ("GETRANGE missing a b", notInteger),
            ("SET s abc", ok), ("GETRANGE s a 1", notInteger), ("GETRANGE s 1 b", notInteger), ("GETRANGE s 1.0 2", notInteger),
            ("SET e \"\"", ok), ("GETRANGE e 0 -1", "$0\r\n\r\n"), ("GETRANGE e 0 0", "$0\r\n\r\n"), ("GETRANGE e -1 -1", "$0\r\n\r\n"),
            ("LPUSH l a", int(1)), ("GETRANGE l 0 1", wrongType), ("GETRANGE l a 1", notInteger),
            ("GETRANGE s 0", "-ERR wrong number of arguments for 'getrange' command\r\n"),
        ])
    }

    @Test("INCR family and its errors")
    func incr() {
        let h = EngineHarness()
        let overflow = "-ERR increment or decrement would overflow\r\n"
        h.script([
            ("INCR c", int(1)), ("INCR c", int(2)), ("DECR d", int(-1)), ("INCRBY e 10", int(10)), ("DECRBY f 10", int(-10)),
            ("SET n 10", ok), ("INCR n", int(11)), ("INCRBY n -20", int(-9)), ("DECR n", int(-10)), ("DECRBY n 5", int(-15)),
            ("GET n", bulk("-15")),
            ("DECRBY n -9223372036854775808", "-ERR decrement would overflow\r\n"),
            ("INCRBY n abc", notInteger), ("INCRBY n 1.5", notInteger), ("INCRBY n \"\"", notInteger), ("INCRBY n 9223372036854775808", notInteger),
            ("SET n 9223372036854775807", ok), ("INCR n", overflow), ("GET n", bulk("9223372036854775807")),
            ("SET n -9223372036854775808", ok), ("DECR n", overflow), ("INCRBY n -1", overflow),
            ("SET n \" 1\"", ok), ("INCR n", notInteger), ("SET n 1.0", ok), ("INCR n", notInteger),
            ("SET n 007", ok), ("INCR n", notInteger), ("SET n abc", ok), ("INCR n", notInteger),
            ("SET n -0", ok), ("INCR n", notInteger), ("SET n +1", ok), ("INCR n", notInteger), ("SET n \"\"", ok), ("INCR n", notInteger),
            ("LPUSH l a", int(1)), ("INCR l", wrongType), ("INCRBY l abc", notInteger), ("DECR l", wrongType),
            ("INCRBY newn 9223372036854775807", int(Int64.max)), ("INCR newn", overflow),
            ("SET n 5", ok), ("DECRBY n 9223372036854775807", int(-9_223_372_036_854_775_802)), ("DECRBY n 9223372036854775807", overflow),
            ("SET m -1", ok), ("DECRBY m 9223372036854775807", int(Int64.min)),
        ])
    }

    @Test("INCRBYFLOAT results are formatted like Redis", arguments: [
        ("f", "10.5", "10.5"), ("h", "3", "3"), ("i", "0.1", "0.1"), ("j", "-5", "-5"), ("k", "1e20", "100000000000000000000"),
        ("l", "1.23456789012345678", "1.23456789012345678"), ("m", "123456789.123456789", "123456789.12345678899873747"),
        ("n", "3.0000000000000000001", "3"), ("o", "0x10", "16"), ("p", "1.5e-3", "0.0015"), ("q", "-0.0", "0"),
        ("r", "5.0e3", "5000"), ("s", ".5", "0.5"), ("t", "1e-5000", "ERR"),
    ])
    func incrbyfloatFormat(_ key: String, _ increment: String, _ expected: String) {
        let h = EngineHarness()
        let reply = h.run("INCRBYFLOAT", key, increment)
        #expect(reply == (expected == "ERR" ? "-ERR value is not a valid float\r\n" : bulk(expected)))
    }

    @Test("INCRBYFLOAT accumulates and keeps the formatted text")
    func incrbyfloatSequence() {
        let h = EngineHarness()
        h.script([
            ("INCRBYFLOAT f 10.5", bulk("10.5")), ("INCRBYFLOAT f 0.1", bulk("10.6")), ("GET f", bulk("10.6")),
            ("SET g 5.0e3", ok), ("INCRBYFLOAT g 0", bulk("5000")), ("INCRBYFLOAT g 200", bulk("5200")),
            ("INCRBYFLOAT h 3", bulk("3")), ("INCRBYFLOAT h -3", bulk("0")), ("INCRBYFLOAT h -0.0", bulk("0")),
            ("INCRBYFLOAT m 0.1", bulk("0.1")), ("INCRBYFLOAT m 0.2", bulk("0.3")),
            ("INCRBYFLOAT k 0x10", bulk("16")), ("INCRBYFLOAT k 1.5e-3", bulk("16.0015")),
            ("SET n 10", ok), ("INCRBYFLOAT n 1", bulk("11")), ("INCR n", int(12)),
        ])
    }

    @Test("INCRBYFLOAT with a huge long double result")
    func incrbyfloatHuge() {
        let h = EngineHarness()
        let expected = "10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880"
        #expect(h.run("INCRBYFLOAT", "i", "1e400") == bulk(expected))
    }

    @Test("INCRBYFLOAT errors")
    func incrbyfloatErrors() {
        let h = EngineHarness()
        let notFloat = "-ERR value is not a valid float\r\n"
        let nanOrInf = "-ERR increment would produce NaN or Infinity\r\n"
        h.script([
            ("SET j 1.1e4932", ok), ("INCRBYFLOAT j 1.1e4932", nanOrInf), ("GET j", bulk("1.1e4932")),
            ("INCRBYFLOAT j abc", notFloat),
            ("SET s abc", ok), ("INCRBYFLOAT s 1", notFloat),
            ("INCRBYFLOAT k nan", notFloat), ("INCRBYFLOAT k inf", nanOrInf), ("INCRBYFLOAT k -inf", nanOrInf),
            ("INCRBYFLOAT k \" 1\"", notFloat), ("INCRBYFLOAT k \"1 \"", notFloat), ("INCRBYFLOAT k \"\"", notFloat),
            ("INCRBYFLOAT k 1e5000", notFloat), ("INCRBYFLOAT k 1e-5000", notFloat),
            ("SET v \"\"", ok), ("INCRBYFLOAT v 1", notFloat),
            ("LPUSH l a", int(1)), ("INCRBYFLOAT l 1", wrongType), ("INCRBYFLOAT l abc", wrongType),
            ("EXISTS k", int(0)),
        ])
    }
}

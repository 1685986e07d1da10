import KeyDBEngine
import KeyDBRESP
import Testing

/// A set's encoding as Redis 7.0 keeps it: an intset (sorted integers) until a
/// member that is no integer, or one too many, makes it a hash table for good.
/// The replies below were checked against redis-server 7.0.15.
@Suite("set encoding")
struct SetEncodingTests {
    private func integer(_ member: Bytes) -> Int64? { member.withUnsafeBytes { Int64(redisDecimal: $0) } }

    @Test("an intset stays sorted and turns into a hash table once, whatever is added or removed")
    func memberSetAgainstAModel() {
        var generator = SystemRandomNumberGenerator()
        for limit in [0, 1, 5, 64] {
            var members = MemberSet()
            var model = Set<Bytes>()
            var shouldBeIntset = true
            for _ in 0..<2_000 {
                let roll = Int.random(in: 0..<100, using: &generator)
                let member: Bytes
                switch roll {
                case 0..<2: member = Bytes("m\(roll)")  // now and then no integer
                case 2..<4: member = Bytes("0\(roll)")  // nor is a leading zero
                default: member = Bytes(String(Int64.random(in: -40...40, using: &generator)))
                }
                if roll % 3 == 0 {
                    let removed = members.remove(member) != nil
                    #expect(removed == (model.remove(member) != nil))
                } else {
                    let added = member.withUnsafeBytes { members.insert($0, maxIntsetEntries: limit) }
                    let expected = model.insert(member).inserted
                    #expect(added == expected)
                    if integer(member) == nil || model.count > limit { shouldBeIntset = false }
                }
                #expect(members.isIntset == shouldBeIntset)
                #expect(members.count == model.count)
                if members.isIntset {
                    let values = members.map { integer($0)! }
                    #expect(values == values.sorted() && Set(values).count == values.count)
                }
            }
            #expect(Set(members) == model)
        }
    }

    @Test("a member given as bytes follows the same rules")
    func insertingBytes() {
        var members = MemberSet()
        for value in ["30", "-2", "9223372036854775807", "-9223372036854775808", "4"] {
            let added = members.insert(Bytes(value), maxIntsetEntries: 512)
            #expect(added)
        }
        let again = members.insert(Bytes("4"), maxIntsetEntries: 512)
        #expect(!again)
        #expect(Array(members) == ["-9223372036854775808", "-2", "4", "30", "9223372036854775807"].map { Bytes($0) })
        #expect(members.isIntset)
        let plus = members.insert(Bytes("+5"), maxIntsetEntries: 512)
        #expect(plus && !members.isIntset)
        let removed = members.remove(Bytes("+5"))
        #expect(removed != nil)
        #expect(!members.isIntset)
    }

    @Test("replies list an intset in ascending order, a hash table of integers stays one")
    func replies() {
        let h = EngineHarness()
        h.script([
            ("SADD s 3 1 2 -5 100", ":5\r\n"),
            ("SMEMBERS s", "*5\r\n$2\r\n-5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$3\r\n100\r\n"),
            ("SSCAN s 0 COUNT 1", "*2\r\n$1\r\n0\r\n*5\r\n$2\r\n-5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$3\r\n100\r\n"),
            ("OBJECT ENCODING s", "$6\r\nintset\r\n"),
            ("SADD s a", ":1\r\n"), ("SREM s a", ":1\r\n"),
            ("OBJECT ENCODING s", "$9\r\nhashtable\r\n"),
            ("SADD t 9 8", ":2\r\n"),
            ("SUNION t t", "*2\r\n$1\r\n8\r\n$1\r\n9\r\n"),
            ("SUNIONSTORE u s t", ":7\r\n"),
            ("OBJECT ENCODING u", "$6\r\nintset\r\n"),
            ("SMEMBERS u", "*7\r\n$2\r\n-5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n8\r\n$1\r\n9\r\n$3\r\n100\r\n"),
            ("SDIFF u s", "*2\r\n$1\r\n8\r\n$1\r\n9\r\n"),
            ("SMOVE s fresh 3", ":1\r\n"),
            ("OBJECT ENCODING fresh", "$6\r\nintset\r\n"),
        ])
    }

    @Test("SDIFF chooses its method as Redis weighs it, and SPOP of the whole set replies from a rebuilt set")
    func resultsBuiltAsRedisBuildsThem() {
        let h = EngineHarness()
        h.script([
            ("CONFIG SET set-max-intset-entries 4", "+OK\r\n"),
            ("SADD a 6 5 4 3 2 1", ":6\r\n"), ("SADD b 1 2", ":2\r\n"),
            // Redis tests each member of the first set here: the result is built as an intset.
            ("SDIFFSTORE d a b", ":4\r\n"),
            ("OBJECT ENCODING d", "$6\r\nintset\r\n"),
            ("SMEMBERS d", "*4\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n$1\r\n6\r\n"),
            ("CONFIG SET set-max-intset-entries 512", "+OK\r\n"),
            ("SADD s a 3 1 2", ":4\r\n"), ("SREM s a", ":1\r\n"),
            ("SPOP s 3", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"),
        ])
    }

    @Test("DUMP writes an intset as SET_INTSET, a hash table of integers as SET")
    func dumpTypes() {
        let h = EngineHarness()
        h.run("SADD", "ints", "1", "2")
        h.run("SADD", "table", "1", "2", "a")
        h.run("SREM", "table", "a")
        guard case .bulk(let ints?) = h.value("DUMP", "ints"), case .bulk(let table?) = h.value("DUMP", "table") else {
            Issue.record("DUMP gave no payload")
            return
        }
        #expect(ints.first == 11)  // RDB_TYPE_SET_INTSET
        #expect(table.first == 2)  // RDB_TYPE_SET
    }

    @Test("SPOP of most of a set hands out the rest in the set's order and rebuilds what stays")
    func spopMostOfASet() {
        let h = EngineHarness()
        h.run("SADD", "s", "10", "9", "8", "7", "6", "5", "4", "3", "2", "1", "a")
        h.run("SREM", "s", "a")
        #expect(h.run("OBJECT", "ENCODING", "s") == "$9\r\nhashtable\r\n")
        guard case .array(let popped?) = h.value("SPOP", "s", "9") else {
            Issue.record("SPOP gave no array")
            return
        }
        // The one member that stays is a new set, made an intset again, as Redis does.
        #expect(h.run("OBJECT", "ENCODING", "s") == "$6\r\nintset\r\n")
        #expect(popped.count == 9)
        h.run("SADD", "i", "6", "5", "4", "3", "2", "1")
        guard case .array(let fromIntset?) = h.value("SPOP", "i", "5") else {
            Issue.record("SPOP gave no array")
            return
        }
        let values = fromIntset.compactMap { $0.string.flatMap { Int($0) } }
        #expect(values.count == 5 && values == values.sorted())
    }
}

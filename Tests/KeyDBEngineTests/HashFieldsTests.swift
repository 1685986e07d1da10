import KeyDBEngine
import KeyDBTestSupport
import OrderedCollections
import Testing

/// HashFields behaves as an insertion-ordered dictionary whether packed or not.
@Suite struct HashFieldsTests {
    @Test func packedHashesKeepInsertionOrderAndUpdateInPlace() {
        var fields = HashFields()
        fields.updateValue("1", forKey: "a")
        fields.updateValue("2", forKey: "b")
        fields.updateValue("3", forKey: "c")
        #expect(fields.updateValue("22-longer", forKey: "b") == "2")
        #expect(fields.removeValue(forKey: "a") == "1")
        #expect(fields.removeValue(forKey: "a") == nil)
        #expect(Array(fields).map { "\($0.key)=\($0.value)" } == ["b=22-longer", "c=3"])
        #expect(fields["c"] == "3" && fields["zz"] == nil && fields.count == 2)
    }

    @Test func outgrowingThePackedLimitsKeepsEveryField() {
        var byCount = HashFields()
        for index in 0..<600 { byCount.updateValue(Bytes("v\(index)"), forKey: Bytes("f\(index)")) }
        #expect(byCount.count == 600 && byCount["f0"] == "v0" && byCount["f599"] == "v599")
        var byLength = HashFields()
        byLength.updateValue("short", forKey: "a")
        let long = Bytes(String(repeating: "x", count: 65))
        #expect(byLength.updateValue(long, forKey: "a") == "short")
        byLength.updateValue("v", forKey: Bytes(String(repeating: "k", count: 65)))
        #expect(byLength["a"] == long && byLength.count == 2)
    }

    /// A seeded random mix of writes, checked against a plain ordered dictionary.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func matchesADictionaryModel(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var fields = HashFields()
        var model = OrderedDictionary<Bytes, Bytes>()
        for _ in 0..<3000 {
            let key = Bytes("k\(Int.random(in: 0..<700, using: &random))")
            if Bool.random(using: &random) || Int.random(in: 0..<4, using: &random) > 0 {
                let length = Int.random(in: 0..<(Int.random(in: 0..<40, using: &random) == 0 ? 80 : 20), using: &random)
                let value = Bytes(String(repeating: "v", count: length))
                if Bool.random(using: &random) {
                    #expect(fields.updateValue(value, forKey: key) == model.updateValue(value, forKey: key))
                } else {
                    let created = value.withUnsafeBytes { v in key.withUnsafeBytes { fields.setValue(v, forKey: $0) } }
                    #expect(created == (model.updateValue(value, forKey: key) == nil))
                }
            } else {
                #expect(fields.removeValue(forKey: key) == model.removeValue(forKey: key))
            }
        }
        #expect(fields.count == model.count)
        for (key, value) in model { #expect(fields[key] == value) }
        let positional = fields.positional
        #expect(Set((0..<positional.count).map { positional[$0].key }) == Set(model.keys))
    }

    @Test func setsAddRawMembersOnce() {
        var members = MemberSet()
        for word in ["a", "b", "a", String(repeating: "long", count: 8), String(repeating: "long", count: 8)] {
            _ = Array(word.utf8).withUnsafeBytes { members.insert($0, maxIntsetEntries: 512) }
        }
        #expect(members.count == 3)
        for index in 0..<40 { _ = Array("m\(index % 20)".utf8).withUnsafeBytes { members.insert($0, maxIntsetEntries: 512) } }
        #expect(members.count == 23)
    }
}

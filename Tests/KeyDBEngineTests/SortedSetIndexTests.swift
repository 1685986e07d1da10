@testable import KeyDBEngine
import KeyDBTestSupport
import Testing

/// The skiplist under every sorted set, checked against a plain sorted array
/// of (score, member) that is re-sorted after every change.
@Suite("sorted-set index")
struct SortedSetIndexTests {
    /// The model: what the index must hold, in Redis's order.
    private struct Model {
        var entries: [(member: Bytes, score: Double)] = []

        static func precedes(_ a: (member: Bytes, score: Double), _ b: (member: Bytes, score: Double)) -> Bool {
            a.score < b.score || (a.score == b.score && a.member < b.member)
        }

        mutating func insert(_ member: Bytes, _ score: Double) {
            let position = entries.firstIndex { !Self.precedes($0, (member, score)) } ?? entries.count
            entries.insert((member, score), at: position)
        }

        mutating func remove(_ member: Bytes) -> Double? {
            guard let position = entries.firstIndex(where: { $0.member == member }) else { return nil }
            return entries.remove(at: position).score
        }
    }


    /// Everything the index answers, compared with the model.
    private func check(_ index: SortedSetIndex, _ model: Model, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(index.count == model.entries.count, sourceLocation: sourceLocation)
        var walked: [(Bytes, Double)] = []
        var node = index.first
        while node != SortedSetIndex.none {
            walked.append((index.member(node), index.score(node)))
            node = index.next(node)
        }
        #expect(walked.map(\.0) == model.entries.map(\.member), "forward walk", sourceLocation: sourceLocation)
        var backward: [Bytes] = []
        node = index.last
        while node != SortedSetIndex.none {
            backward.append(index.member(node))
            node = index.previous(node)
        }
        #expect(backward == model.entries.reversed().map(\.member), "backward walk", sourceLocation: sourceLocation)
        for (rank, entry) in model.entries.enumerated() {
            #expect(index.rank(of: entry.member, score: entry.score) == rank, sourceLocation: sourceLocation)
            #expect(index.member(index.node(at: rank)) == entry.member, sourceLocation: sourceLocation)
        }
        // Where score ranges start: the first entry not below each score (and past every one).
        for score in stride(from: -3.0, through: 3.0, by: 0.25) {
            let expected = model.entries.firstIndex { $0.score >= score }
            let found = index.firstNode(atLeast: score)
            #expect(found == (expected.map { index.node(at: $0) } ?? SortedSetIndex.none), "\(score)", sourceLocation: sourceLocation)
        }
    }

    @Test("random inserts and removes keep order, ranks and both walks", arguments: [1, 2, 3, 4])
    func randomOperations(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var index = SortedSetIndex()
        var model = Model()
        var present: [Bytes: Double] = [:]
        for step in 0..<3000 {
            // Few distinct scores, so equal scores (ordered by member) are common.
            let member = Bytes("m\(Int.random(in: 0..<400, using: &random))")
            let score = Double(Int.random(in: -5...5, using: &random)) / 2
            if let old = present[member] {
                let removed = index.remove(member, score: old)
                let modelScore = model.remove(member)
                #expect(removed)
                #expect(modelScore == old)
                present[member] = nil
                if Bool.random(using: &random) {
                    index.insert(member, score: score)
                    model.insert(member, score)
                    present[member] = score
                }
            } else {
                index.insert(member, score: score)
                model.insert(member, score)
                present[member] = score
            }
            if step % 250 == 0 { check(index, model) }
        }
        check(index, model)
        let removedAbsent = index.remove(Bytes("absent"), score: 0)
        #expect(!removedAbsent)
        if let (member, score) = present.first {
            let removedWrong = index.remove(member, score: score + 100)
            #expect(!removedWrong, "the right member with the wrong score is not removed")
            #expect(index.rank(of: member, score: score + 100) == nil)
        }
    }

    @Test("members with equal scores sort by bytes, shorter first on a shared prefix")
    func memberOrder() {
        var index = SortedSetIndex()
        var model = Model()
        for text in ["b", "a", "ab", "", "a\u{0}", "B", "\u{7F}", "aa"] {
            index.insert(Bytes(text), score: 1)
            model.insert(Bytes(text), 1)
        }
        index.insert(Bytes([0xFF]), score: 1)
        model.insert(Bytes([0xFF]), 1)
        index.insert(Bytes("z"), score: -.infinity)
        model.insert(Bytes("z"), -.infinity)
        index.insert(Bytes("y"), score: .infinity)
        model.insert(Bytes("y"), .infinity)
        check(index, model)
        #expect(index.member(index.first) == Bytes("z"))
        #expect(index.member(index.node(at: 1)) == Bytes(""))
        #expect(index.member(index.last) == Bytes("y"))
    }

    @Test("removing rank ranges matches the model, including the ends")
    func removeRanks() {
        var random = SeededGenerator(seed: 99)
        for _ in 0..<40 {
            var index = SortedSetIndex()
            var model = Model()
            let size = Int.random(in: 1...300, using: &random)
            for i in 0..<size {
                let score = Double(Int.random(in: 0..<50, using: &random))
                index.insert(Bytes("k\(i)"), score: score)
                model.insert(Bytes("k\(i)"), score)
            }
            let low = Int.random(in: 0..<size, using: &random)
            let high = Int.random(in: low...size, using: &random)
            var removed: [Bytes] = []
            index.removeRanks(low..<high) { member, _ in removed.append(member) }
            #expect(removed == model.entries[low..<high].map(\.member))
            model.entries.removeSubrange(low..<high)
            check(index, model)
            // The index stays usable after a range removal.
            index.insert(Bytes("new"), score: 25)
            model.insert(Bytes("new"), 25)
            check(index, model)
        }
    }

    @Test("count(while:) finds range bounds; visit walks both ways")
    func boundsAndVisits() {
        var index = SortedSetIndex()
        for i in 0..<100 { index.insert(Bytes("e\(i)"), score: Double(i / 10)) }  // ten of each score 0...9
        #expect(index.count { _, score in score < 3 } == 30)
        #expect(index.count { _, score in score <= 3 } == 40)
        #expect(index.count { _, score in score < -1 } == 0)
        #expect(index.count { _, score in score < 100 } == 100)
        var seen: [Double] = []
        index.visit(from: 95, count: 5, reverse: false) { _, score in seen.append(score) }
        #expect(seen == [9, 9, 9, 9, 9])
        seen = []
        index.visit(from: 12, count: 4, reverse: true) { _, score in seen.append(score) }
        #expect(seen == [1, 1, 1, 0])
        seen = []
        index.visit(from: 0, count: 0, reverse: false) { _, score in seen.append(score) }
        #expect(seen.isEmpty)
    }

    @Test("emptying and refilling, and compaction after mass deletion")
    func refillAndCompaction() {
        var index = SortedSetIndex()
        var model = Model()
        for i in 0..<5000 {
            index.insert(Bytes("member-\(i)-with-a-long-name"), score: Double(i % 97))
            model.insert(Bytes("member-\(i)-with-a-long-name"), Double(i % 97))
        }
        // Remove all but a few from the middle: the arrays get rebuilt on the way.
        index.removeRanks(0..<2400) { _, _ in }
        index.removeRanks(10..<2600) { _, _ in }
        model.entries.removeSubrange(0..<2400)
        model.entries.removeSubrange(10..<2600)
        check(index, model)
        index.removeRanks(0..<index.count) { _, _ in }
        #expect(index.count == 0)
        #expect(index.first == SortedSetIndex.none)
        #expect(index.last == SortedSetIndex.none)
        index.insert(Bytes("again"), score: 1)
        #expect(index.rank(of: Bytes("again"), score: 1) == 0)
    }

    @Test("a node packs into 40 bytes")
    func nodeSize() {
        #expect(MemoryLayout<SortedSetIndex.Node>.stride == 40)
    }

    @Test("a million members: inserts, ranks, small ranges and removals stay logarithmic")
    func million() {
        var index = SortedSetIndex()
        let n = 1_000_000
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for i in 0..<n { index.insert(Bytes("m\(i &* 7919 % n)"), score: Double(i &* 7919 % n)) }
            for i in stride(from: 0, to: n, by: 997) {
                #expect(index.rank(of: Bytes("m\(i)"), score: Double(i)) == i)
                var first: Double = -1
                index.visit(from: i, count: 1, reverse: false) { _, score in first = score }
                #expect(first == Double(i))
            }
            for i in stride(from: 0, to: n, by: 2) { index.remove(Bytes("m\(i)"), score: Double(i)) }
        }
        #expect(index.count == n / 2)
        #expect(index.member(index.node(at: 0)) == Bytes("m1"))
        #expect(index.member(index.node(at: n / 2 - 1)) == Bytes("m\(n - 1)"))
        // Generous even for a debug build; an O(n) step per operation would take hours.
        #expect(elapsed < .seconds(120))
    }
}

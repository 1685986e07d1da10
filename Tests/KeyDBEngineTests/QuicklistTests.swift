@testable import KeyDBEngine
import KeyDBTestSupport
import Testing

/// Quicklist against an array of the same elements, under random edits at the
/// ends and in the middle, with elements from empty to bigger than a node.
@Suite struct QuicklistTests {
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func randomEditsMatchAnArray(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var list = Quicklist()
        var model: [[UInt8]] = []
        for step in 0..<3000 {
            let element = randomElement(&rng, tag: step)
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<25:
                element.withUnsafeBytes { list.append($0) }
                model.append(element)
            case 25..<50:
                element.withUnsafeBytes { list.prepend($0) }
                model.insert(element, at: 0)
            case 50..<60 where !model.isEmpty:
                #expect(list.removeFirst().array == model.removeFirst())
            case 60..<70 where !model.isEmpty:
                #expect(list.removeLast().array == model.removeLast())
            case 70..<75:
                let k = Int.random(in: 0...model.count / 3 + 1, using: &rng)
                list.removeFirst(k)
                model.removeFirst(min(k, model.count))
            case 75..<80:
                let k = Int.random(in: 0...model.count / 3 + 1, using: &rng)
                list.removeLast(k)
                model.removeLast(min(k, model.count))
            case 80..<88:
                let position = Int.random(in: 0...model.count, using: &rng)
                element.withUnsafeBytes { list.insert($0, at: list.index(atPosition: position)) }
                model.insert(element, at: position)
            case 88..<95 where !model.isEmpty:
                let position = Int.random(in: 0..<model.count, using: &rng)
                element.withUnsafeBytes { list.replace(at: list.index(atPosition: position), with: $0) }
                model[position] = element
            case 95..<98 where !model.isEmpty:
                let target = model[Int.random(in: 0..<model.count, using: &rng)]
                let limit = UInt64.random(in: 0...3, using: &rng)
                let fromTail = Bool.random(using: &rng)
                let removed = target.withUnsafeBytes { list.removeAll(equalTo: $0, limit: limit == 0 ? .max : limit, fromTail: fromTail) }
                #expect(removed == removeMatching(target, from: &model, limit: limit == 0 ? .max : Int(limit), fromTail: fromTail))
            case 98:
                list.removeAll()
                model.removeAll()
            default:
                continue
            }
            #expect(list.count == model.count)
            if step % 50 == 0 { expectSame(list, model, &rng) }
        }
        expectSame(list, model, &rng)
    }

    @Test func lengthsUpToSeveralBytesRoundTrip() {
        var list = Quicklist()
        let lengths = [0, 1, 127, 128, 16_383, 16_384, 20_000, 2_100_000]
        for (i, length) in lengths.enumerated() {
            let element = [UInt8](repeating: UInt8(i), count: length)
            element.withUnsafeBytes { i % 2 == 0 ? list.append($0) : list.prepend($0) }
        }
        var fromHead: [Int] = []
        list.forEachElement { fromHead.append($0.count); return true }
        var fromTail: [Int] = []
        list.forEachElementFromTail { fromTail.append($0.count); return true }
        #expect(fromHead == [2_100_000, 16_384, 128, 1, 0, 127, 16_383, 20_000])
        #expect(fromTail == fromHead.reversed())
        #expect(list.nodes.allSatisfy { $0.used <= Quicklist.nodeBytes || $0.count == 1 })
    }

    @Test func editsInTheMiddleSplitNodesUntilEachFits() {
        let big = [UInt8](repeating: 7, count: 20_000)
        for position in [1, 400, 800, 1_200, 1_630] {
            var list = Quicklist()
            var model: [[UInt8]] = []
            for i in 0..<1_640 {
                let element = Array("\(i % 100)".utf8)
                element.withUnsafeBytes { list.append($0) }
                model.append(element)
            }
            big.withUnsafeBytes { list.insert($0, at: list.index(atPosition: position)) }
            model.insert(big, at: position)
            big.withUnsafeBytes { list.replace(at: list.index(atPosition: position + 3), with: $0) }
            model[position + 3] = big
            #expect(list.map(\.array) == model)
            #expect(list.nodes.allSatisfy { $0.used <= Quicklist.nodeBytes || $0.count == 1 })
        }
    }

    @Test func pushingAtBothEndsOfAShortListKeepsItSmall() {
        var list = Quicklist()
        for i in 0..<40 { Bytes("e\(i)").withUnsafeBytes { i % 2 == 0 ? list.append($0) : list.prepend($0) } }
        // 40 entries of 4-5 bytes in one node: its storage at most twice that, not doubled per switch of end.
        #expect(list.nodes.count == 1 && list.allocatedBytes <= 32 + 2 * 5 * 41)
        // An element bigger than all the node holds still finds room at either end.
        var short = Quicklist()
        let wide = [UInt8](repeating: 9, count: 1_000)
        Bytes("a").withUnsafeBytes { short.append($0) }
        wide.withUnsafeBytes { short.prepend($0) }
        wide.withUnsafeBytes { short.append($0) }
        #expect(short.map(\.array) == [wide, Array("a".utf8), wide])
    }

    @Test func insertingBesideABigElementLeavesItsNodeAlone() {
        var list = Quicklist()
        let big = [UInt8](repeating: 1, count: 100_000)
        Bytes("x").withUnsafeBytes { list.append($0) }
        big.withUnsafeBytes { list.append($0) }
        let at = list.index(atPosition: 1)
        Bytes("y").withUnsafeBytes { list.insert($0, at: at) }
        // "y" ends the node before; the big element keeps its node (and is not copied into a new one).
        #expect(list.nodes.count == 2 && list.nodes[0].count == 2 && list.nodes[1].count == 1)
        #expect(list.map(\.array) == [Array("x".utf8), Array("y".utf8), big])
        // Before the first element, a node of its own.
        Bytes("z").withUnsafeBytes { list.insert($0, at: list.startIndex) }
        #expect(list.map(\.array) == [Array("z".utf8), Array("x".utf8), Array("y".utf8), big])
    }

    @Test func growingALongListKeepsNodesFullAndSmall() {
        var list = Quicklist()
        var packed = 0
        for i in 0..<100_000 {
            let element = Bytes("\(i % 1000)")
            packed += element.count + 2
            element.withUnsafeBytes { i % 2 == 0 ? list.append($0) : list.prepend($0) }
        }
        // Every node but the two at the ends is filled to within one entry of 8 KB...
        #expect(list.nodes.count <= packed / (Quicklist.nodeBytes - 5) + 2)
        // ...and stored in at most twice its bytes.
        #expect(list.allocatedBytes < 2 * packed)
        list.removeFirst(99_990)
        #expect(list.count == 10 && list.allocatedBytes < 20_000)
    }

    // MARK: - Helpers

    private func randomElement(_ rng: inout SeededGenerator, tag: Int) -> [UInt8] {
        let length: Int
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<70: length = Int.random(in: 0...12, using: &rng)
        case 70..<97: length = Int.random(in: 100...400, using: &rng)
        default: length = Int.random(in: 7_000...20_000, using: &rng)
        }
        // A few distinct values recur, so that removals by value find matches.
        if length <= 12 && Bool.random(using: &rng) { return Array("v\(tag % 7)".utf8) }
        return (0..<length).map { UInt8(truncatingIfNeeded: $0 &+ tag) }
    }

    private func removeMatching(_ target: [UInt8], from model: inout [[UInt8]], limit: Int, fromTail: Bool) -> Int {
        var removed = 0
        var kept: [[UInt8]] = []
        for element in fromTail ? model.reversed() : model {
            if removed < limit && element == target { removed += 1 } else { kept.append(element) }
        }
        model = fromTail ? kept.reversed() : kept
        return removed
    }

    private func expectSame(_ list: Quicklist, _ model: [[UInt8]], _ rng: inout SeededGenerator) {
        #expect(list.map(\.array) == model)
        #expect(list.reversed().map(\.array) == model.reversed())
        var fromTail: [[UInt8]] = []
        list.forEachElementFromTail { fromTail.append(Array($0)); return true }
        #expect(fromTail == model.reversed())
        #expect(list.nodes.reduce(0) { $0 + $1.count } == list.count)
        #expect(list.nodes.allSatisfy { $0.count > 0 && ($0.used <= Quicklist.nodeBytes || $0.count == 1) })
        guard !model.isEmpty else { return }
        let position = Int.random(in: 0..<model.count, using: &rng)
        #expect(list[list.index(atPosition: position)].array == model[position])
        let upper = Int.random(in: position...model.count, using: &rng)
        #expect(list.elements(position..<upper).map(\.array) == Array(model[position..<upper]))
        if let first = model.first {
            let found = first.withUnsafeBytes { list.firstIndex(of: $0) }
            #expect(found.map { list[$0].array } == first)
        }
    }
}

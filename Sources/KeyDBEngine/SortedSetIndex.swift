/// The order of a sorted set: ascending score, equal scores by the member's
/// bytes (`memcmp`, then length), exactly as Redis orders its skiplist.
///
/// A skiplist whose links carry spans (how many positions a link jumps), so
/// insert, delete, rank, element-at-rank and the bounds of a score or lex
/// range are all O(log n). Nodes live in one array and their links in
/// another, addressed by index: no heap object per node or per level.
/// Ranks here are 0-based positions in ascending order.
struct SortedSetIndex {
    typealias NodeID = Int32

    /// Fields in this order pack into 40 bytes (the small fields fill the member's padding).
    struct Node {
        var member: Bytes
        var height: UInt8
        /// The previous node at level 0, or `none` for the first.
        var backward: NodeID
        /// This node's links are `links[firstLink ..< firstLink + height]`, lowest level first.
        var firstLink: Int32
        var score: Double
    }

    struct Link {
        var forward: NodeID
        /// Positions from this node to `forward`; when there is none, to the last element.
        var span: Int32
    }

    static let maxHeight = 32
    /// The head: a node before the first element, as tall as the list can grow.
    static let head: NodeID = 0
    static let none: NodeID = -1

    private var nodes: [Node]
    private var links: [Link]
    /// Slots of deleted nodes by height; a new node of that height takes one, links included.
    private var freeSlots: [[NodeID]]
    private(set) var count = 0
    /// Levels in use (the head's first `height` links).
    private var height = 1
    private(set) var last: NodeID = none
    private var randomState: UInt64

    init() {
        nodes = [Node(member: .empty, height: UInt8(Self.maxHeight), backward: Self.none, firstLink: 0, score: 0)]
        links = Array(repeating: Link(forward: Self.none, span: 0), count: Self.maxHeight)
        freeSlots = Array(repeating: [], count: Self.maxHeight + 1)
        randomState = UInt64.random(in: 1...UInt64.max)
    }

    // MARK: - Reading nodes

    @inline(__always) func member(_ node: NodeID) -> Bytes { nodes[Int(node)].member }
    @inline(__always) func score(_ node: NodeID) -> Double { nodes[Int(node)].score }
    /// The next node in ascending order, or `none`.
    @inline(__always) func next(_ node: NodeID) -> NodeID { link(node, 0).forward }
    /// The previous node in ascending order, or `none`.
    @inline(__always) func previous(_ node: NodeID) -> NodeID { nodes[Int(node)].backward }
    var first: NodeID { link(Self.head, 0).forward }

    @inline(__always) private func link(_ node: NodeID, _ level: Int) -> Link {
        links[Int(nodes[Int(node)].firstLink) + level]
    }

    @inline(__always) private mutating func setLink(_ node: NodeID, _ level: Int, _ link: Link) {
        links[Int(nodes[Int(node)].firstLink) + level] = link
    }

    /// Whether `node` sorts before (score, member).
    @inline(__always) private func precedes(_ node: NodeID, _ score: Double, _ member: Bytes) -> Bool {
        let n = nodes[Int(node)]
        return n.score < score || (n.score == score && n.member.compare(member) < 0)
    }

    // MARK: - Searching

    /// How many elements, from the first, satisfy `isBefore`, which must hold
    /// for a prefix of the order and fail for the rest (a range's lower bound).
    func count(while isBefore: (Bytes, Double) -> Bool) -> Int {
        var node = Self.head
        var position = 0
        for level in stride(from: height - 1, through: 0, by: -1) {
            while true {
                let l = link(node, level)
                guard l.forward != Self.none else { break }
                let next = nodes[Int(l.forward)]
                guard isBefore(next.member, next.score) else { break }
                position += Int(l.span)
                node = l.forward
            }
        }
        return position
    }

    /// The first node whose score is not below `score` (`none` when there is
    /// none): where a score range starts, in one descent.
    func firstNode(atLeast score: Double) -> NodeID {
        var node = Self.head
        for level in stride(from: height - 1, through: 0, by: -1) {
            while true {
                let forward = link(node, level).forward
                guard forward != Self.none, nodes[Int(forward)].score < score else { break }
                node = forward
            }
        }
        return link(node, 0).forward
    }

    /// The 0-based rank of `member` with `score`, nil when absent.
    func rank(of member: Bytes, score: Double) -> Int? {
        var node = Self.head
        var position = 0
        for level in stride(from: height - 1, through: 0, by: -1) {
            while true {
                let l = link(node, level)
                guard l.forward != Self.none else { break }
                let next = nodes[Int(l.forward)]
                guard next.score < score || (next.score == score && next.member.compare(member) <= 0) else { break }
                position += Int(l.span)
                node = l.forward
            }
            if node != Self.head && nodes[Int(node)].score == score && nodes[Int(node)].member == member {
                return position - 1
            }
        }
        return nil
    }

    /// The node at 0-based `rank`, which must be below `count`.
    func node(at rank: Int) -> NodeID {
        precondition(rank >= 0 && rank < count, "rank out of range")
        let target = rank + 1
        var node = Self.head
        var position = 0
        for level in stride(from: height - 1, through: 0, by: -1) {
            while true {
                let l = link(node, level)
                guard l.forward != Self.none, position + Int(l.span) <= target else { break }
                position += Int(l.span)
                node = l.forward
            }
            if position == target { return node }
        }
        preconditionFailure("skiplist spans out of order")
    }

    /// Visits `count` elements starting at 0-based `rank`, going up the order or (`reverse`) down.
    func visit(from rank: Int, count: Int, reverse: Bool, _ body: (Bytes, Double) -> Void) {
        guard count > 0 else { return }
        var node = node(at: rank)
        for _ in 0..<count {
            let n = nodes[Int(node)]
            body(n.member, n.score)
            node = reverse ? n.backward : link(node, 0).forward
        }
    }

    /// Walks from 0-based `rank` up the order (or down, `reverse`) while `body` returns true.
    func walk(from rank: Int, reverse: Bool, _ body: (Bytes) -> Bool) {
        guard rank >= 0 && rank < count else { return }
        var node = node(at: rank)
        while node != Self.none && body(nodes[Int(node)].member) {
            node = reverse ? nodes[Int(node)].backward : link(node, 0).forward
        }
    }

    // MARK: - Changing

    /// Adds `member` with `score`; the member must not be in the index already.
    mutating func insert(_ member: Bytes, score: Double) {
        withUnsafeTemporaryAllocation(of: (node: NodeID, position: Int).self, capacity: Self.maxHeight) { update in
            var node = Self.head
            var position = 0
            for level in stride(from: height - 1, through: 0, by: -1) {
                while true {
                    let l = link(node, level)
                    guard l.forward != Self.none, precedes(l.forward, score, member) else { break }
                    position += Int(l.span)
                    node = l.forward
                }
                update[level] = (node, position)
            }
            let newHeight = randomHeight()
            if newHeight > height {
                for level in height..<newHeight {
                    update[level] = (Self.head, 0)
                    setLink(Self.head, level, Link(forward: Self.none, span: Int32(count)))
                }
                height = newHeight
            }
            let before = update[0].position  // elements before the new one
            let id = allocate(member, score, height: newHeight)
            for level in 0..<newHeight {
                let (previous, previousPosition) = update[level]
                let old = link(previous, level)
                setLink(id, level, Link(forward: old.forward, span: old.span - Int32(before - previousPosition)))
                setLink(previous, level, Link(forward: id, span: Int32(before - previousPosition + 1)))
            }
            for level in newHeight..<height {
                var l = link(update[level].node, level)
                l.span += 1
                setLink(update[level].node, level, l)
            }
            nodes[Int(id)].backward = update[0].node == Self.head ? Self.none : update[0].node
            let following = link(id, 0).forward
            if following != Self.none { nodes[Int(following)].backward = id } else { last = id }
            count += 1
        }
    }

    /// Removes `member`, which has `score`; false when it is not there.
    @discardableResult
    mutating func remove(_ member: Bytes, score: Double) -> Bool {
        let removed = withUnsafeTemporaryAllocation(of: (node: NodeID, position: Int).self, capacity: Self.maxHeight) { update -> Bool in
            var node = Self.head
            for level in stride(from: height - 1, through: 0, by: -1) {
                while true {
                    let l = link(node, level)
                    guard l.forward != Self.none, precedes(l.forward, score, member) else { break }
                    node = l.forward
                }
                update[level] = (node, 0)
            }
            let candidate = link(node, 0).forward
            guard candidate != Self.none, nodes[Int(candidate)].score == score, nodes[Int(candidate)].member == member else {
                return false
            }
            unlink(candidate, update)
            return true
        }
        if removed { compactIfSparse() }
        return removed
    }

    /// Removes the elements at 0-based ranks `ranks`, telling `body` about each, in ascending order.
    mutating func removeRanks(_ ranks: Range<Int>, _ body: (Bytes, Double) -> Void) {
        guard !ranks.isEmpty else { return }
        precondition(ranks.lowerBound >= 0 && ranks.upperBound <= count, "ranks out of range")
        withUnsafeTemporaryAllocation(of: (node: NodeID, position: Int).self, capacity: Self.maxHeight) { update in
            // The last node before the range, at every level.
            var node = Self.head
            var position = 0
            for level in stride(from: height - 1, through: 0, by: -1) {
                while true {
                    let l = link(node, level)
                    guard l.forward != Self.none, position + Int(l.span) <= ranks.lowerBound else { break }
                    position += Int(l.span)
                    node = l.forward
                }
                update[level] = (node, position)
            }
            var victim = link(node, 0).forward
            for _ in ranks {
                let following = link(victim, 0).forward
                let n = nodes[Int(victim)]
                body(n.member, n.score)
                unlink(victim, update)  // the nodes before the range stay the predecessors
                victim = following
            }
        }
        compactIfSparse()
    }

    /// Unlinks `node`, whose predecessor at each level is in `update`, and frees its slot.
    private mutating func unlink(_ node: NodeID, _ update: UnsafeMutableBufferPointer<(node: NodeID, position: Int)>) {
        for level in 0..<height {
            let previous = update[level].node
            var l = link(previous, level)
            if l.forward == node {
                let removed = link(node, level)
                l.span += removed.span - 1
                l.forward = removed.forward
            } else {
                l.span -= 1
            }
            setLink(previous, level, l)
        }
        let following = link(node, 0).forward
        if following != Self.none {
            nodes[Int(following)].backward = nodes[Int(node)].backward
        } else {
            last = nodes[Int(node)].backward
        }
        while height > 1 && link(Self.head, height - 1).forward == Self.none { height -= 1 }
        count -= 1
        nodes[Int(node)].member = .empty  // let go of a long member's buffer now
        freeSlots[Int(nodes[Int(node)].height)].append(node)
    }

    // MARK: - Storage

    private mutating func allocate(_ member: Bytes, _ score: Double, height: Int) -> NodeID {
        if let id = freeSlots[height].popLast() {
            nodes[Int(id)].member = member
            nodes[Int(id)].score = score
            return id
        }
        let id = NodeID(nodes.count)
        nodes.append(Node(member: member, height: UInt8(height), backward: Self.none, firstLink: Int32(links.count), score: score))
        links.append(contentsOf: repeatElement(Link(forward: Self.none, span: 0), count: height))
        return id
    }

    /// A level count with P(h > k) = 1/4^k, as Redis's skiplist draws it.
    private mutating func randomHeight() -> Int {
        // xorshift64: cheap, and good enough to shape a skiplist.
        randomState ^= randomState << 13
        randomState ^= randomState >> 7
        randomState ^= randomState << 17
        return min(1 + randomState.trailingZeroBitCount / 2, Self.maxHeight)
    }

    /// After many deletions, rebuilds into fresh arrays so freed slots do not hold memory forever.
    private mutating func compactIfSparse() {
        guard nodes.count > 1024 && count * 4 < nodes.count else { return }
        var rebuilt = SortedSetIndex()
        var node = first
        while node != Self.none {
            let n = nodes[Int(node)]
            rebuilt.insert(n.member, score: n.score)
            node = link(node, 0).forward
        }
        self = rebuilt
    }
}

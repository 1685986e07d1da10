import DequeModule

/// A list kept the way Redis keeps one (quicklist.c): a deque of nodes, each
/// packing up to `nodeBytes` of entries back to back. A push or a pop touches
/// the one node at its end, so a long list never copies itself whole as it
/// grows (a deque of elements copies all of them when it doubles: 9-16 ms at
/// 1.5 million), and a short element costs two bytes besides its own.
///
/// An entry is its length (LEB128), its bytes, and the length's bytes again in
/// reverse order, so that a node can be walked from either end.
public struct Quicklist: Sendable {
    /// Entries fill a node up to this many bytes (Redis's default node size,
    /// list-max-listpack-size -2); a longer element gets a node of its own.
    static let nodeBytes = 8192

    var nodes: Nodes
    public private(set) var count: Int

    public init() {
        nodes = Nodes()
        count = 0
    }

    public init<S: Sequence>(_ elements: S) where S.Element == Bytes {
        self.init()
        for element in elements { element.withUnsafeBytes { append($0) } }
    }

    public init(arrays: [[UInt8]]) {
        self.init()
        for element in arrays { element.withUnsafeBytes { append($0) } }
    }

    public var isEmpty: Bool { count == 0 }

    /// Heap bytes held, for MEMORY USAGE: the deque of nodes after the first, and each node's slot and storage.
    public var allocatedBytes: Int { nodes.reduce(32) { $0 + 32 + $1.storage.capacity } }

    // MARK: - Both ends

    public mutating func append(_ element: UnsafeRawBufferPointer) {
        let size = Quicklist.entrySize(element.count)
        if let last = nodes.last, last.used + size <= Quicklist.nodeBytes {
            nodes[nodes.count - 1].append(element, size: size, alone: nodes.count == 1)
        } else {
            nodes.append(Node(element, size: size, atFront: false))
        }
        count += 1
    }

    public mutating func prepend(_ element: UnsafeRawBufferPointer) {
        let size = Quicklist.entrySize(element.count)
        if let first = nodes.first, first.used + size <= Quicklist.nodeBytes {
            nodes[0].prepend(element, size: size, alone: nodes.count == 1)
        } else {
            nodes.prepend(Node(element, size: size, atFront: true))
        }
        count += 1
    }

    public mutating func append(_ element: Bytes) { element.withUnsafeBytes { append($0) } }
    public mutating func prepend(_ element: Bytes) { element.withUnsafeBytes { prepend($0) } }

    /// Removes and returns the head element; the list must not be empty.
    public mutating func removeFirst() -> Bytes {
        let element = nodes[0].removeFirst()
        if nodes[0].count == 0 { nodes.removeFirst() }
        count -= 1
        return element
    }

    /// Removes and returns the tail element; the list must not be empty.
    public mutating func removeLast() -> Bytes {
        let last = nodes.count - 1
        let element = nodes[last].removeLast()
        if nodes[last].count == 0 { nodes.removeLast() }
        count -= 1
        return element
    }

    /// Removes the first `k` elements (at most `count`).
    public mutating func removeFirst(_ k: Int) {
        var k = Swift.min(k, count)
        count -= k
        while k > 0 {
            if nodes[0].count <= k {
                k -= nodes[0].count
                nodes.removeFirst()
            } else {
                nodes[0].removeFirst(k)
                k = 0
            }
        }
    }

    /// Removes the last `k` elements (at most `count`).
    public mutating func removeLast(_ k: Int) {
        var k = Swift.min(k, count)
        count -= k
        while k > 0 {
            let last = nodes.count - 1
            if nodes[last].count <= k {
                k -= nodes[last].count
                nodes.removeLast()
            } else {
                nodes[last].removeLast(k)
                k = 0
            }
        }
    }

    public mutating func removeAll() {
        nodes.removeAll()
        count = 0
    }

    // MARK: - Walking

    /// Calls `body` with each element's bytes from the head, until it returns false.
    public func forEachElement(_ body: (UnsafeRawBufferPointer) throws -> Bool) rethrows {
        for node in nodes {
            let more = try node.storage.withUnsafeBufferPointer { buffer in
                var offset = node.start
                while offset < node.end {
                    let (data, next) = Quicklist.entry(at: offset, in: buffer)
                    guard try body(data) else { return false }
                    offset = next
                }
                return true
            }
            if !more { return }
        }
    }

    /// Calls `body` with each element's bytes from the tail, until it returns false.
    public func forEachElementFromTail(_ body: (UnsafeRawBufferPointer) throws -> Bool) rethrows {
        for node in nodes.reversed() {
            let more = try node.storage.withUnsafeBufferPointer { buffer in
                var offset = node.end
                while offset > node.start {
                    let (data, previous) = Quicklist.entry(endingAt: offset, in: buffer)
                    guard try body(data) else { return false }
                    offset = previous
                }
                return true
            }
            if !more { return }
        }
    }

    /// Calls `body` with the bytes of the elements at `positions`, head first.
    public func forEachElement(in positions: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard !positions.isEmpty else { return }
        let first = index(atPosition: positions.lowerBound)
        var remaining = positions.count
        var offset = first.offset
        for n in first.node..<nodes.count {
            let node = nodes[n]
            if n != first.node { offset = node.start }
            try node.storage.withUnsafeBufferPointer { buffer in
                while offset < node.end && remaining > 0 {
                    let (data, next) = Quicklist.entry(at: offset, in: buffer)
                    try body(data)
                    offset = next
                    remaining -= 1
                }
            }
            if remaining == 0 { return }
        }
    }

    /// The elements at `positions`, head first.
    public func elements(_ positions: Range<Int>) -> [Bytes] {
        var elements: [Bytes] = []
        elements.reserveCapacity(positions.count)
        forEachElement(in: positions) { elements.append(Bytes($0)) }
        return elements
    }

    /// The index of the first element equal to `element`.
    public func firstIndex(of element: UnsafeRawBufferPointer) -> Index? {
        for (n, node) in nodes.enumerated() {
            let found: Int? = node.storage.withUnsafeBufferPointer { buffer in
                var offset = node.start
                while offset < node.end {
                    let (data, next) = Quicklist.entry(at: offset, in: buffer)
                    if Quicklist.same(data, element) { return offset }
                    offset = next
                }
                return nil
            }
            if let found { return Index(node: n, offset: found) }
        }
        return nil
    }

    /// The element at `index` as bytes, for writing out without a copy.
    public func withElement<R>(at index: Index, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try nodes[index.node].storage.withUnsafeBufferPointer { try body(Quicklist.entry(at: index.offset, in: $0).data) }
    }

    /// The index of the element `position` places from the head (`count`: the end
    /// index), found walking from the nearer end.
    public func index(atPosition position: Int) -> Index {
        precondition(position >= 0 && position <= count, "list position out of range")
        if position == count { return endIndex }
        if position < count / 2 {
            var remaining = position
            for n in nodes.indices {
                if remaining < nodes[n].count { return Index(node: n, offset: nodes[n].offset(ofEntry: remaining)) }
                remaining -= nodes[n].count
            }
        } else {
            var remaining = count - 1 - position
            for n in nodes.indices.reversed() {
                if remaining < nodes[n].count {
                    return Index(node: n, offset: nodes[n].offset(ofEntry: nodes[n].count - 1 - remaining))
                }
                remaining -= nodes[n].count
            }
        }
        preconditionFailure("node counts disagree with the list's count")
    }

    // MARK: - The middle

    /// Replaces the element at `index` (not the end index).
    public mutating func replace(at index: Index, with element: UnsafeRawBufferPointer) {
        let end = nodes[index.node].entryEnd(at: index.offset)
        nodes[index.node].replaceEntries(index.offset..<end, removing: 1, with: element)
        splitIfLarge(index.node)
    }

    /// Inserts `element` before the one at `index`; at the end index, appends it.
    public mutating func insert(_ element: UnsafeRawBufferPointer, at index: Index) {
        guard index.node < nodes.count else { return append(element) }
        let n = index.node
        let size = Quicklist.entrySize(element.count)
        count += 1
        // At the start of a node it would overfill (a full one, or a big element's
        // own), the element ends the node before, or starts one of its own, rather
        // than that node being copied and split.
        if index.offset == nodes[n].start && nodes[n].used + size > Quicklist.nodeBytes {
            if n > 0 && nodes[n - 1].used + size <= Quicklist.nodeBytes {
                nodes[n - 1].append(element, size: size, alone: false)
            } else {
                nodes.insert(Node(element, size: size, atFront: false), at: n)
            }
            return
        }
        nodes[n].replaceEntries(index.offset..<index.offset, removing: 0, with: element)
        splitIfLarge(n)
    }

    /// Removes up to `limit` elements equal to `element`, from the head (or from the
    /// tail); returns how many went.
    public mutating func removeAll(equalTo element: UnsafeRawBufferPointer, limit: UInt64, fromTail: Bool) -> Int {
        var kept = Quicklist()
        var removed: UInt64 = 0
        let keep = { (data: UnsafeRawBufferPointer) -> Bool in
            if removed < limit && Quicklist.same(data, element) {
                removed += 1
            } else if fromTail {
                kept.prepend(data)
            } else {
                kept.append(data)
            }
            return true
        }
        if fromTail { forEachElementFromTail(keep) } else { forEachElement(keep) }
        if removed > 0 { self = kept }
        return Int(removed)
    }

    /// A node that an edit in the middle took past the node size is split where
    /// half its bytes are behind. The tail part then holds at most half, so only
    /// the head part (the edited entry with others before it) may need another split.
    private mutating func splitIfLarge(_ n: Int) {
        guard nodes[n].used > Quicklist.nodeBytes, nodes[n].count > 1 else { return }
        let (head, tail) = nodes[n].split()
        nodes[n] = head
        nodes.insert(tail, at: n + 1)
        splitIfLarge(n)
    }

    // MARK: - Entries

    @inline(__always) static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && compareBytes(a, b) == 0
    }

    /// The bytes an element of `length` bytes takes in a node.
    @inline(__always) static func entrySize(_ length: Int) -> Int { length + 2 * lengthSize(length) }

    @inline(__always) static func lengthSize(_ length: Int) -> Int {
        var size = 1
        var rest = length >> 7
        while rest > 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    /// Writes an entry at `out`, which has `entrySize(element.count)` bytes.
    @inline(__always) static func store(_ element: UnsafeRawBufferPointer, at out: UnsafeMutablePointer<UInt8>) {
        let lengthBytes = lengthSize(element.count)
        var rest = element.count
        for i in 0..<lengthBytes {
            out[i] = UInt8(truncatingIfNeeded: rest & 0x7f) | (i < lengthBytes - 1 ? 0x80 : 0)
            rest >>= 7
        }
        if element.count > 0 { UnsafeMutableRawPointer(out + lengthBytes).copyMemory(from: element.baseAddress!, byteCount: element.count) }
        let back = out + lengthBytes + element.count
        for i in 0..<lengthBytes { back[i] = out[lengthBytes - 1 - i] }
    }

    /// The entry starting at `offset`: its bytes, and where the next one starts.
    @inline(__always) static func entry(at offset: Int, in buffer: UnsafeBufferPointer<UInt8>) -> (data: UnsafeRawBufferPointer, next: Int) {
        var length = 0
        var shift = 0
        var at = offset
        while true {
            let byte = buffer[at]
            at += 1
            length |= Int(byte & 0x7f) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        let data = UnsafeRawBufferPointer(start: buffer.baseAddress! + at, count: length)
        return (data, at + length + (at - offset))
    }

    /// The entry ending at `offset`: its bytes, and where it starts.
    @inline(__always) static func entry(endingAt offset: Int, in buffer: UnsafeBufferPointer<UInt8>) -> (data: UnsafeRawBufferPointer, start: Int) {
        var length = 0
        var shift = 0
        var at = offset
        while true {
            at -= 1
            let byte = buffer[at]
            length |= Int(byte & 0x7f) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        let lengthBytes = offset - at
        let data = UnsafeRawBufferPointer(start: buffer.baseAddress! + at - length, count: length)
        return (data, at - length - lengthBytes)
    }
}

extension Quicklist: BidirectionalCollection {
    /// An element's place: its node, and where its entry starts in the node's storage.
    /// Any change to the list invalidates it.
    public struct Index: Comparable, Sendable {
        let node: Int
        let offset: Int

        public static func < (a: Index, b: Index) -> Bool { (a.node, a.offset) < (b.node, b.offset) }
    }

    public var startIndex: Index { Index(node: 0, offset: nodes.first?.start ?? 0) }
    public var endIndex: Index { Index(node: nodes.count, offset: 0) }

    public func index(after i: Index) -> Index {
        let next = nodes[i.node].entryEnd(at: i.offset)
        if next < nodes[i.node].end { return Index(node: i.node, offset: next) }
        return i.node + 1 < nodes.count ? Index(node: i.node + 1, offset: nodes[i.node + 1].start) : endIndex
    }

    public func index(before i: Index) -> Index {
        if i.node < nodes.count && i.offset > nodes[i.node].start {
            return Index(node: i.node, offset: nodes[i.node].entryStart(endingAt: i.offset))
        }
        let previous = i.node - 1
        return Index(node: previous, offset: nodes[previous].entryStart(endingAt: nodes[previous].end))
    }

    public subscript(i: Index) -> Bytes { withElement(at: i) { Bytes($0) } }
}

extension Quicklist {
    /// The nodes in order. The first is held in place, so a list of one node
    /// (most lists) needs no deque allocation.
    struct Nodes: RandomAccessCollection, Sendable {
        private var head: Node? = nil
        private var rest: Deque<Node> = []

        var startIndex: Int { 0 }
        var endIndex: Int { head == nil ? 0 : 1 + rest.count }

        subscript(position: Int) -> Node {
            get { position == 0 ? head! : rest[position - 1] }
            _modify {
                if position == 0 { yield &head! } else { yield &rest[position - 1] }
            }
        }

        mutating func append(_ node: Node) {
            if head == nil { head = node } else { rest.append(node) }
        }

        mutating func prepend(_ node: Node) {
            if let head { rest.prepend(head) }
            head = node
        }

        mutating func insert(_ node: Node, at position: Int) {
            if position == 0 { prepend(node) } else { rest.insert(node, at: position - 1) }
        }

        mutating func removeFirst() { head = rest.popFirst() }

        mutating func removeLast() {
            if rest.isEmpty { head = nil } else { rest.removeLast() }
        }

        mutating func removeAll() {
            head = nil
            rest = []
        }
    }

    /// Entries packed in `storage[start..<end]`; the bytes either side are room
    /// to grow at that end.
    struct Node: Sendable {
        var storage: [UInt8]
        var start: Int
        var end: Int
        var count: Int

        var used: Int { end - start }

        /// A node holding one entry, with its room on the side it will grow.
        init(_ element: UnsafeRawBufferPointer, size: Int, atFront: Bool) {
            let capacity = Swift.max(size, 64)
            storage = [UInt8](repeating: 0, count: capacity)
            let at = atFront ? capacity - size : 0
            start = at
            end = at + size
            count = 1
            storage.withUnsafeMutableBufferPointer { Quicklist.store(element, at: $0.baseAddress! + at) }
        }

        /// A node holding exactly `entries`, `count` of them.
        init(_ entries: ArraySlice<UInt8>, count: Int) {
            storage = Array(entries)
            start = 0
            end = storage.count
            self.count = count
        }

        /// `alone`: the list's only node, which may grow at both ends.
        mutating func append(_ element: UnsafeRawBufferPointer, size: Int, alone: Bool) {
            if end + size > storage.count { grow(size, atFront: false, alone: alone) }
            let at = end
            storage.withUnsafeMutableBufferPointer { Quicklist.store(element, at: $0.baseAddress! + at) }
            end += size
            count += 1
        }

        mutating func prepend(_ element: UnsafeRawBufferPointer, size: Int, alone: Bool) {
            if start < size { grow(size, atFront: true, alone: alone) }
            start -= size
            let at = start
            storage.withUnsafeMutableBufferPointer { Quicklist.store(element, at: $0.baseAddress! + at) }
            count += 1
        }

        mutating func removeFirst() -> Bytes {
            let (element, next) = storage.withUnsafeBufferPointer { buffer in
                let (data, next) = Quicklist.entry(at: start, in: buffer)
                return (Bytes(data), next)
            }
            start = next
            count -= 1
            shrinkIfSparse()
            return element
        }

        mutating func removeLast() -> Bytes {
            let (element, previous) = storage.withUnsafeBufferPointer { buffer in
                let (data, previous) = Quicklist.entry(endingAt: end, in: buffer)
                return (Bytes(data), previous)
            }
            end = previous
            count -= 1
            shrinkIfSparse()
            return element
        }

        /// Drops the first `k` entries, fewer than `count`.
        mutating func removeFirst(_ k: Int) {
            start = offset(ofEntry: k)
            count -= k
            shrinkIfSparse()
        }

        /// Drops the last `k` entries, fewer than `count`.
        mutating func removeLast(_ k: Int) {
            end = offset(ofEntry: count - k)
            count -= k
            shrinkIfSparse()
        }

        /// Where entry `k` (from 0; `count` for the end) starts, walking from the nearer end.
        func offset(ofEntry k: Int) -> Int {
            storage.withUnsafeBufferPointer { buffer in
                var offset: Int
                if k <= count / 2 {
                    offset = start
                    for _ in 0..<k { offset = Quicklist.entry(at: offset, in: buffer).next }
                } else {
                    offset = end
                    for _ in 0..<(count - k) { offset = Quicklist.entry(endingAt: offset, in: buffer).start }
                }
                return offset
            }
        }

        func entryEnd(at offset: Int) -> Int {
            storage.withUnsafeBufferPointer { Quicklist.entry(at: offset, in: $0).next }
        }

        func entryStart(endingAt offset: Int) -> Int {
            storage.withUnsafeBufferPointer { Quicklist.entry(endingAt: offset, in: $0).start }
        }

        /// Replaces the `removing` entries in `bytes` with one holding `element`.
        mutating func replaceEntries(_ bytes: Range<Int>, removing: Int, with element: UnsafeRawBufferPointer) {
            let size = Quicklist.entrySize(element.count)
            if size == bytes.count {
                storage.withUnsafeMutableBufferPointer { Quicklist.store(element, at: $0.baseAddress! + bytes.lowerBound) }
            } else {
                var edited = [UInt8](repeating: 0, count: used - bytes.count + size)
                edited.withUnsafeMutableBufferPointer { out in
                    storage.withUnsafeBufferPointer { old in
                        let base = out.baseAddress!
                        let head = bytes.lowerBound - start
                        base.update(from: old.baseAddress! + start, count: head)
                        Quicklist.store(element, at: base + head)
                        (base + head + size).update(from: old.baseAddress! + bytes.upperBound, count: end - bytes.upperBound)
                    }
                }
                storage = edited
                start = 0
                end = edited.count
            }
            count += 1 - removing
        }

        /// Two nodes holding this one's entries, split near the middle of its bytes.
        func split() -> (Node, Node) {
            var offset = start
            var taken = 0
            storage.withUnsafeBufferPointer { buffer in
                while taken < count - 1 && (taken == 0 || offset - start < used / 2) {
                    offset = Quicklist.entry(at: offset, in: buffer).next
                    taken += 1
                }
            }
            return (Node(storage[start..<offset], count: taken), Node(storage[offset..<end], count: count - taken))
        }

        /// Makes room for `size` more bytes at one end. The end nodes of a longer
        /// list grow at their outer end only, so they double with all the room
        /// there (and are exactly full when they reach the node size); the only
        /// node of a list grows at both, so it also gets half as much again as it
        /// holds, split between its ends.
        private mutating func grow(_ size: Int, atFront: Bool, alone: Bool) {
            if alone {
                let spare = Swift.max(used / 2, 32)
                relayout(capacity: used + size + spare, front: atFront ? size + spare / 2 : spare / 2)
            } else {
                let capacity = Swift.max(used + size, Swift.min(storage.count * 2, Quicklist.nodeBytes))
                relayout(capacity: capacity, front: atFront ? capacity - used : 0)
            }
        }

        /// A node popped below a quarter of its storage gives half of it back.
        private mutating func shrinkIfSparse() {
            guard count > 0, storage.count > 256, used * 4 <= storage.count else { return }
            let capacity = Swift.max(storage.count / 2, 64)
            relayout(capacity: capacity, front: (capacity - used) / 2)
        }

        /// Moves the entries into new storage of `capacity` bytes, `front` of them before the entries.
        private mutating func relayout(capacity: Int, front: Int) {
            let used = self.used
            var moved = [UInt8](repeating: 0, count: capacity)
            moved.withUnsafeMutableBufferPointer { out in
                storage.withUnsafeBufferPointer { old in
                    (out.baseAddress! + front).update(from: old.baseAddress! + start, count: used)
                }
            }
            storage = moved
            start = front
            end = front + used
        }
    }
}

import KeyDBRESP

/// Values as Redis 7.0 saves them: the type byte, the key (in a key entry;
/// none in a DUMP payload), then the payload in the encoding Redis would have
/// in memory under `limits`.
extension RDBOutput {
    private mutating func begin(_ type: RDBValueType, key: UnsafeRawBufferPointer?) throws {
        byte(type.rawValue)
        if let key { try string(key) }
    }

    private func refuseEmpty(_ count: Int, _ what: String) throws {
        guard count > 0 else { throw RDBError("refusing to write an empty \(what): Redis never stores one", offset: position) }
    }

    mutating func stringValue(key: UnsafeRawBufferPointer?, _ value: some RDBBytes) throws {
        try begin(.string, key: key)
        try string(value)
    }

    /// LIST_QUICKLIST_2. The node count comes first, so a first pass over the
    /// sizes plans the nodes and a second encodes one node at a time.
    mutating func listValue<C: Collection>(key: UnsafeRawBufferPointer?, _ elements: C, limits: RDBEncodingLimits) throws
    where C.Element: RDBBytes {
        try listValue(key: key, count: elements.count, limits: limits) { body in
            for element in elements { try element.withRDBBytes(body) }
        }
    }

    /// The same for a list given as its length and a walk over its elements,
    /// which is called twice. Not generic, so a list in another module is
    /// walked without a dynamic dispatch per element.
    mutating func listValue(key: UnsafeRawBufferPointer?, count: Int, limits: RDBEncodingLimits, _ forEach: RDBListWalk) throws {
        try refuseEmpty(count, "list")
        var planner = QuicklistPlanner(limits: limits)
        var nodes = 0
        try forEach { if planner.place($0) != .appendToNode { nodes += 1 } }

        try begin(.listQuicklist2, key: key)
        length(nodes)
        planner = QuicklistPlanner(limits: limits)
        var node: ListpackBuilder? = nil
        try forEach { bytes in
            let step = planner.place(bytes)
            if step != .appendToNode, let open = node {
                try packedNode(open)
                node = nil
            }
            switch step {
            case .plainNode:
                length(QuicklistContainer.plain)
                try string(bytes)
            case .newNode:
                node = ListpackBuilder()
                node?.append(bytes)
            case .appendToNode:
                node?.append(bytes)
            }
            try flushIfFull()
        }
        if let open = node { try packedNode(open) }
    }

    private mutating func packedNode(_ node: ListpackBuilder) throws {
        length(QuicklistContainer.packed)
        try string(node.finish())
        try flushIfFull()
    }

    /// SET_INTSET for a set its holder keeps as an intset (`intset`); when it does
    /// not say (nil), for one whose members are all canonical integers and few
    /// enough. Else SET.
    mutating func setValue<C: Collection>(key: UnsafeRawBufferPointer?, _ members: C, intset: Bool? = nil,
                                          limits: RDBEncodingLimits) throws
    where C.Element: RDBBytes {
        let n = members.count
        try refuseEmpty(n, "set")
        if intset ?? (n <= limits.setMaxIntsetEntries) {
            var integers: [Int64] = []
            integers.reserveCapacity(n)
            for m in members {
                guard let v = m.withRDBBytes({ Int64(redisDecimal: $0) }) else { break }
                integers.append(v)
            }
            if integers.count == n {
                try begin(.setIntset, key: key)
                try string(Intset.encode(integers))
                return
            }
        }
        try begin(.set, key: key)
        length(n)
        for m in members {
            try string(m)
            try flushIfFull()
        }
    }

    /// HASH_LISTPACK when small enough, else HASH.
    mutating func hashValue<C: Collection, F: RDBBytes, V: RDBBytes>(
        key: UnsafeRawBufferPointer?, _ fields: C, limits: RDBEncodingLimits
    ) throws where C.Element == (F, V) {
        let n = fields.count
        try refuseEmpty(n, "hash")
        let packed = n <= limits.hashMaxListpackEntries
            && fields.allSatisfy {
                $0.0.rdbByteCount <= limits.hashMaxListpackValue && $0.1.rdbByteCount <= limits.hashMaxListpackValue
            }
        if packed {
            var lp = ListpackBuilder()
            for (f, v) in fields {
                f.withRDBBytes { lp.append($0) }
                v.withRDBBytes { lp.append($0) }
            }
            try begin(.hashListpack, key: key)
            try string(lp.finish())
            return
        }
        try begin(.hash, key: key)
        length(n)
        for (f, v) in fields {
            try string(f)
            try string(v)
            try flushIfFull()
        }
    }

    /// ZSET_LISTPACK (sorted by score, then member bytes, as Redis keeps it)
    /// when small enough, else ZSET_2 with binary scores.
    mutating func sortedSetValue<C: Collection, M: RDBBytes>(
        key: UnsafeRawBufferPointer?, _ members: C, limits: RDBEncodingLimits
    ) throws where C.Element == (M, Double) {
        let n = members.count
        try refuseEmpty(n, "sorted set")
        guard !members.contains(where: { $0.1.isNaN }) else {
            throw RDBError("refusing to write a NaN score", offset: position)
        }
        let packed = n <= limits.sortedSetMaxListpackEntries
            && members.allSatisfy { $0.0.rdbByteCount <= limits.sortedSetMaxListpackValue }
        if packed {
            let sorted = members.map { ($0.0.withRDBBytes { Array($0) }, $0.1) }.sorted {
                $0.1 < $1.1 || ($0.1 == $1.1 && $0.0.lexicographicallyPrecedes($1.0))
            }
            var lp = ListpackBuilder()
            for (member, score) in sorted {
                lp.append(member)
                switch DoubleText.listpackScore(score) {
                case .integer(let i): lp.append(integer: i)
                case .text(let t): lp.append(t)
                }
            }
            try begin(.sortedSetListpack, key: key)
            try string(lp.finish())
            return
        }
        try begin(.sortedSet2, key: key)
        length(n)
        for (member, score) in members {
            try string(member)
            littleEndian(score.bitPattern)
            try flushIfFull()
        }
    }

    mutating func value(key: UnsafeRawBufferPointer?, _ object: RDBObject, limits: RDBEncodingLimits) throws {
        switch object {
        case .string(let s): try stringValue(key: key, s)
        case .list(let items): try listValue(key: key, items, limits: limits)
        case .set(let items): try setValue(key: key, items, limits: limits)
        case .hash(let pairs): try hashValue(key: key, pairs, limits: limits)
        case .sortedSet(let members): try sortedSetValue(key: key, members, limits: limits)
        case .stream(let stream): try streamValue(key: key, stream)
        }
    }
}

/// Decides, element by element, where a list element goes, following
/// quicklist's rule: it joins the open node while the node's listpack size
/// plus the element plus 8 bytes of overhead stays within the limit.
struct QuicklistPlanner {
    enum Step { case plainNode, newNode, appendToNode }

    let limits: RDBEncodingLimits
    /// Size of the open node's listpack; nil when no packed node is open.
    private var nodeBytes: Int? = nil

    init(limits: RDBEncodingLimits) { self.limits = limits }

    mutating func place(_ element: UnsafeRawBufferPointer) -> Step {
        if element.count >= limits.listPlainThreshold {
            nodeBytes = nil
            return .plainNode
        }
        let entry = ListpackBuilder.entrySize(element)
        if let current = nodeBytes, current + element.count + 8 <= limits.listNodeBytes {
            nodeBytes = current + entry
            return .appendToNode
        }
        nodeBytes = Listpack.headerSize + 1 + entry
        return .newNode
    }
}

/// The quicklist Redis would hold `elements` in: each node's bytes (a listpack's
/// size, or a plain node's element), for DEBUG OBJECT's `ql_` fields.
public func quicklistNodeSizes<C: Collection>(_ elements: C, limits: RDBEncodingLimits) -> [Int] where C.Element: RDBBytes {
    var planner = QuicklistPlanner(limits: limits)
    var sizes: [Int] = []
    for element in elements {
        element.withRDBBytes { bytes in
            switch planner.place(bytes) {
            case .plainNode: sizes.append(bytes.count)
            case .newNode: sizes.append(Listpack.headerSize + 1 + ListpackBuilder.entrySize(bytes))
            case .appendToNode: sizes[sizes.count - 1] += ListpackBuilder.entrySize(bytes)
            }
        }
    }
    return sizes
}

import KeyDBRESP

/// GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their _RO forms
/// (Redis's `georadiusGeneric`): one implementation, the variants differing in
/// where the centre and the shape come from and whether a result may be stored.
extension GeoCommands {
    /// How a variant reads its arguments.
    enum SearchVariant {
        /// GEORADIUS: key longitude latitude radius unit [options]
        case radius(storable: Bool)
        /// GEORADIUSBYMEMBER: key member radius unit [options]
        case radiusByMember(storable: Bool)
        /// GEOSEARCH: key FROMMEMBER | FROMLONLAT, BYRADIUS | BYBOX [options]
        case search
        /// GEOSEARCHSTORE: destination key ... [STOREDIST]
        case searchStore
    }

    static func georadius(_ c: ClientSession, _ args: Arguments) { search(c, args, .radius(storable: true)) }
    static func georadiusRO(_ c: ClientSession, _ args: Arguments) { search(c, args, .radius(storable: false)) }
    static func georadiusbymember(_ c: ClientSession, _ args: Arguments) { search(c, args, .radiusByMember(storable: true)) }
    static func georadiusbymemberRO(_ c: ClientSession, _ args: Arguments) { search(c, args, .radiusByMember(storable: false)) }
    static func geosearch(_ c: ClientSession, _ args: Arguments) { search(c, args, .search) }
    static func geosearchstore(_ c: ClientSession, _ args: Arguments) { search(c, args, .searchStore) }

    /// One match: a member, its score, decoded point and distance from the centre in meters.
    struct Match {
        var member: Bytes
        var score: Double
        var longitude: Double
        var latitude: Double
        var distance: Double
    }

    private enum Order { case none, ascending, descending }

    private static func search(_ c: ClientSession, _ args: Arguments, _ variant: SearchVariant) {
        let isSearch: Bool, storable: Bool
        switch variant {
        case .radius(let s), .radiusByMember(let s): (isSearch, storable) = (false, s)
        case .search: (isSearch, storable) = (true, false)
        case .searchStore: (isSearch, storable) = (true, true)
        }
        let sourceIndex = variant.isSearchStore ? 2 : 1
        var destination: UnsafeRawBufferPointer? = variant.isSearchStore ? args[1] : nil

        let zset: SortedSetValue?
        switch c.sortedSet(args[sourceIndex]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: zset = nil
        case .found(let found): zset = found
        }

        // The centre and shape given in fixed positions (GEORADIUS*), then the options.
        var centre: (longitude: Double, latitude: Double)? = nil
        var kind: GeoShape.Kind? = nil
        var metersPerUnit = 1.0
        var optionsStart = sourceIndex + 1
        switch variant {
        case .radius:
            guard let point = coordinates(c, args, at: 2) else { return }
            guard let radius = radius(c, args, at: 4) else { return }
            (centre, kind, metersPerUnit, optionsStart) = (point, .radius(radius.value), radius.metersPerUnit, 6)
        case .radiusByMember:
            optionsStart = 5
            // With no set, the options are still read: they decide the empty reply.
            if let zset {
                guard let point = position(of: args[2], in: zset) else { return c.replyError(ErrorReply.geoMemberNotDecoded) }
                guard let radius = radius(c, args, at: 3) else { return }
                (centre, kind, metersPerUnit) = (point, .radius(radius.value), radius.metersPerUnit)
            }
        case .search, .searchStore:
            break
        }

        var withDistance = false, withHash = false, withCoordinates = false
        var fromMember = false, fromPoint = false
        var storeDistance = false
        var order = Order.none
        var any = false
        var count = 0  // 0: no limit
        var index = optionsStart
        while index < args.count {
            let remaining = args.count - index - 1
            if args.matches(index, "withdist") { withDistance = true }
            else if args.matches(index, "withhash") { withHash = true }
            else if args.matches(index, "withcoord") { withCoordinates = true }
            else if args.matches(index, "any") { any = true }
            else if args.matches(index, "asc") { order = .ascending }
            else if args.matches(index, "desc") { order = .descending }
            else if args.matches(index, "count") && remaining >= 1 {
                guard let value = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                guard value > 0 else { return c.replyError(ErrorReply.geoCountNotPositive) }
                count = Int(value)
                index += 1
            } else if !isSearch && storable && remaining >= 1 && (args.matches(index, "store") || args.matches(index, "storedist")) {
                storeDistance = args.matches(index, "storedist")
                destination = args[index + 1]
                index += 1
            } else if variant.isSearchStore && args.matches(index, "storedist") {
                storeDistance = true
            } else if isSearch && !fromPoint && remaining >= 1 && args.matches(index, "frommember") {
                if let zset {
                    guard let point = position(of: args[index + 1], in: zset) else { return c.replyError(ErrorReply.geoMemberNotDecoded) }
                    centre = point
                }
                fromMember = true
                index += 1
            } else if isSearch && !fromMember && remaining >= 2 && args.matches(index, "fromlonlat") {
                guard let point = coordinates(c, args, at: index + 1) else { return }
                centre = point
                fromPoint = true
                index += 2
            } else if isSearch && !(kind?.isBox ?? false) && remaining >= 2 && args.matches(index, "byradius") {
                guard let radius = radius(c, args, at: index + 1) else { return }
                (kind, metersPerUnit) = (.radius(radius.value), radius.metersPerUnit)
                index += 2
            } else if isSearch && !(kind?.isRadius ?? false) && remaining >= 3 && args.matches(index, "bybox") {
                guard let box = box(c, args, at: index + 1) else { return }
                (kind, metersPerUnit) = (.box(width: box.width, height: box.height), box.metersPerUnit)
                index += 3
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 1
        }

        if destination != nil && (withDistance || withHash || withCoordinates) {
            return c.replyError(variant.isSearchStore ? ErrorReply.geoSearchStoreWithOptions : ErrorReply.geoRadiusStoreWithOptions)
        }
        if isSearch && !(fromMember || fromPoint) { return c.replyError(ErrorReply.geoNeedsOneCentre(args.string(0))) }
        if isSearch && kind == nil { return c.replyError(ErrorReply.geoNeedsOneShape(args.string(0))) }
        if any && count == 0 { return c.replyError(ErrorReply.geoAnyNeedsCount) }

        guard let zset, let centre, let kind else {
            if let destination { return store(c, [], into: destination, isSearch: isSearch, storeDistance: false, metersPerUnit: 1) }
            return c.reply.writeArrayHeader(0)
        }
        // COUNT alone means the nearest ones: that needs the order.
        if count != 0 && order == .none && !any { order = .ascending }

        let shape = GeoShape(longitude: centre.longitude, latitude: centre.latitude, kind: kind, metersPerUnit: metersPerUnit)
        var matches = collect(in: zset, shape: shape, limit: any ? count : 0)
        if matches.isEmpty && destination == nil { return c.reply.writeArrayHeader(0) }
        let returned = count == 0 ? matches.count : min(count, matches.count)
        sort(&matches, order, keeping: returned)

        if let destination {
            return store(c, matches.prefix(returned), into: destination, isSearch: isSearch,
                         storeDistance: storeDistance, metersPerUnit: metersPerUnit)
        }
        let extras = (withDistance ? 1 : 0) + (withHash ? 1 : 0) + (withCoordinates ? 1 : 0)
        c.reply.writeArrayHeader(returned)
        for match in matches.prefix(returned) {
            if extras > 0 { c.reply.writeArrayHeader(extras + 1) }
            c.replyBulk(match.member)
            if withDistance { GeoDistance.withText(match.distance / metersPerUnit) { c.reply.writeBulk($0) } }
            if withHash { c.reply.writeIntegerReply(Int64(bitPattern: GeoHash.scoreBits(match.score))) }
            if withCoordinates {
                c.reply.writeArrayHeader(2)
                replyCoordinate(c, match.longitude)
                replyCoordinate(c, match.latitude)
            }
        }
    }

    // MARK: - Arguments

    /// A radius and its unit at `index`, `index + 1`, or nil after replying.
    private static func radius(_ c: ClientSession, _ args: Arguments, at index: Int) -> (value: Double, metersPerUnit: Double)? {
        guard let value = args.double(index) else {
            c.replyError(ErrorReply.geoRadiusNotNumeric)
            return nil
        }
        guard value >= 0 else {
            c.replyError(ErrorReply.geoRadiusNegative)
            return nil
        }
        return metersPerUnit(c, args, at: index + 1).map { (value, $0) }
    }

    /// A box's width, height and unit from `index`, or nil after replying.
    private static func box(_ c: ClientSession, _ args: Arguments, at index: Int) -> (width: Double, height: Double, metersPerUnit: Double)? {
        guard let width = args.double(index) else {
            c.replyError(ErrorReply.geoWidthNotNumeric)
            return nil
        }
        guard let height = args.double(index + 1) else {
            c.replyError(ErrorReply.geoHeightNotNumeric)
            return nil
        }
        guard width >= 0 && height >= 0 else {
            c.replyError(ErrorReply.geoBoxNegative)
            return nil
        }
        return metersPerUnit(c, args, at: index + 2).map { (width, height, $0) }
    }

    // MARK: - Searching

    /// The members inside `shape`, cell by cell in Redis's order (each cell a
    /// score range, walked up the set). With a `limit` (ANY), it stops once that many are found.
    static func collect(in zset: SortedSetValue, shape: GeoShape, limit: Int) -> [Match] {
        var matches: [Match] = []
        let cells = shape.searchCells
        var lastSearched = 0
        for (position, cell) in cells.enumerated() where cell != .none {
            // At a huge radius neighbours coincide; a cell equal to the one searched
            // just before is skipped (as in Redis, the centre cell never counts as "before").
            if lastSearched != 0 && cell == cells[lastSearched] { continue }
            if limit > 0 && matches.count >= limit { break }
            collect(in: zset, cell: cell, shape: shape, limit: limit, into: &matches)
            lastSearched = position
        }
        return matches
    }

    /// One cell: scores from its lowest (included) to the next cell's lowest (excluded).
    private static func collect(in zset: SortedSetValue, cell: GeoHash.Cell, shape: GeoShape, limit: Int, into matches: inout [Match]) {
        let low = Double(GeoHash.aligned52(cell))
        let high = Double(GeoHash.aligned52(GeoHash.Cell(bits: cell.bits &+ 1, step: cell.step)))
        let index = zset.index
        var node = index.firstNode(atLeast: low)
        while node != SortedSetIndex.none {
            let score = index.score(node)
            guard score < high else { break }
            let point = GeoHash.coordinates(ofScore: score)
            if let distance = shape.distance(toLongitude: point.longitude, latitude: point.latitude) {
                matches.append(Match(member: index.member(node), score: score, longitude: point.longitude,
                                     latitude: point.latitude, distance: distance))
            }
            if limit > 0 && matches.count >= limit { break }
            node = index.next(node)
        }
    }

    /// Orders the matches by distance as Redis does: all of them with glibc's
    /// qsort, a merge sort, so ties keep their search order; only the first
    /// `keeping` with its partial quicksort, which leaves ties as it partitions them.
    private static func sort(_ matches: inout [Match], _ order: Order, keeping: Int) {
        guard order != .none, matches.count > 1, keeping > 0 else { return }
        let ascending = order == .ascending
        if keeping < matches.count {
            // Redis's comparator: NaN distances compare as "less" either way round.
            partialQuicksort(&matches, wanted: 0...(keeping - 1)) { a, b in
                let order = a.distance > b.distance ? 1 : (a.distance == b.distance ? 0 : -1)
                return ascending ? order : -order
            }
            return
        }
        let sorted = matches.indices.sorted { a, b in
            let da = matches[a].distance, db = matches[b].distance
            if da != db { return ascending ? da < db : da > db }
            return a < b
        }
        matches = sorted.map { matches[$0] }
    }

    /// Stores the matches under `destination` (scores: geohashes, or distances in
    /// the unit with STOREDIST) and replies with their number; none deletes it.
    private static func store(_ c: ClientSession, _ matches: ArraySlice<Match>, into destination: UnsafeRawBufferPointer,
                              isSearch: Bool, storeDistance: Bool, metersPerUnit: Double) {
        guard !matches.isEmpty else {
            if c.db.removeForReplacement(destination, now: c.now) {
                c.dirty()
                c.notify(.generic, "del", destination)
            }
            return c.reply.writeIntegerReply(0)
        }
        // Built as a skiplist, then made a listpack if it fits, as Redis does.
        let limits = c.zsetListpackLimits
        let stored = SortedSetValue(isListpack: false)
        for match in matches {
            stored.set(match.member, score: storeDistance ? match.distance / metersPerUnit : match.score, limits: limits)
        }
        stored.convertToListpackIfNeeded(limits)
        c.db.set(destination, .sortedSet(stored), now: c.now)
        c.notify(.zset, isSearch ? "geosearchstore" : "georadiusstore", destination)
        c.dirty(matches.count)
        c.reply.writeIntegerReply(matches.count)
    }
}

extension GeoCommands.SearchVariant {
    var isSearchStore: Bool {
        if case .searchStore = self { return true }
        return false
    }
}

extension GeoShape.Kind {
    var isBox: Bool {
        if case .box = self { return true }
        return false
    }
    var isRadius: Bool {
        if case .radius = self { return true }
        return false
    }
}

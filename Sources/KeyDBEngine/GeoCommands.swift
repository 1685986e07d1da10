import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Geo commands (Redis's geo.c). A geo set is a sorted set whose scores are
/// 52-bit geohashes (`GeoHash`): GEOADD writes through ZADD, the rest read the
/// scores back as points. GEOADD, GEOPOS, GEODIST and GEOHASH here; the
/// searches in GeoCommands+Search.swift.
enum GeoCommands {
    // MARK: - Arguments

    /// A longitude and latitude at `index` and `index + 1`, or nil after replying.
    static func coordinates(_ c: ClientSession, _ args: Arguments, at index: Int) -> (longitude: Double, latitude: Double)? {
        guard let longitude = args.double(index), let latitude = args.double(index + 1) else {
            c.replyError(ErrorReply.notFloat)
            return nil
        }
        guard GeoHash.isValid(longitude: longitude, latitude: latitude) else {
            c.replyError(ErrorReply.geoInvalidPair(longitude, latitude))
            return nil
        }
        return (longitude, latitude)
    }

    /// Meters per unit for a unit name (m, km, ft, mi, any case), or nil after replying.
    static func metersPerUnit(_ c: ClientSession, _ args: Arguments, at index: Int) -> Double? {
        if args.matches(index, "m") { return 1 }
        if args.matches(index, "km") { return 1000 }
        if args.matches(index, "ft") { return 0.3048 }
        if args.matches(index, "mi") { return 1609.34 }
        c.replyError(ErrorReply.geoUnsupportedUnit)
        return nil
    }

    /// The point a member is stored at, nil when it is not in the set.
    static func position(of member: UnsafeRawBufferPointer, in zset: SortedSetValue) -> (longitude: Double, latitude: Double)? {
        zset.score(of: member).map(GeoHash.coordinates(ofScore:))
    }

    /// A coordinate as Redis prints it (`addReplyHumanLongDouble`).
    static func replyCoordinate(_ c: ClientSession, _ value: Double) {
        withCoordinateText(value) { c.replyDouble(text: $0) }
    }

    // MARK: - GEOADD

    /// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
    ///
    /// As Redis does, the points become scores and the command runs as ZADD
    /// (its reply, "zadd" event and listpack rules), and is logged as that ZADD.
    static func geoadd(_ c: ClientSession, _ args: Arguments) {
        var first = 2
        var nx = false, xx = false
        while first < args.count {
            if args.matches(first, "nx") { nx = true }
            else if args.matches(first, "xx") { xx = true }
            else if !args.matches(first, "ch") { break }
            first += 1
        }
        let words = args.count - first
        guard words % 3 == 0, !(nx && xx) else { return c.replyError(ErrorReply.syntax) }

        // The ZADD argv: "zadd", the key and options as sent, then score member pairs.
        var bytes: [UInt8] = []
        var spans: [ArgumentSpan] = []
        bytes.reserveCapacity(args.count * 16)
        spans.reserveCapacity(first + words / 3 * 2)
        func append(_ argument: some Sequence<UInt8>) {
            let start = bytes.count
            bytes.append(contentsOf: argument)
            spans.append(ArgumentSpan(offset: start, count: bytes.count - start))
        }
        append("zadd".utf8)
        for index in 1..<first { append(args[index]) }
        for index in stride(from: first, to: args.count, by: 3) {
            guard let point = coordinates(c, args, at: index) else { return }
            // Valid coordinates always encode.
            append(String(GeoHash.score(longitude: point.longitude, latitude: point.latitude)!).utf8)
            append(args[index + 2])
        }

        let dirtyBefore = c.engine.keyspace.dirty
        bytes.withUnsafeBytes { buffer in
            spans.withUnsafeBufferPointer { spans in
                let zaddArgs = Arguments(base: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, spans: spans)
                SortedSetCommands.zadd(c, zaddArgs)
                if c.engine.keyspace.dirty != dirtyBefore { c.propagate(zaddArgs) }
            }
        }
    }

    // MARK: - Reading points

    /// GEOPOS key member [member ...]: each member's [longitude, latitude], or a null array.
    static func geopos(_ c: ClientSession, _ args: Arguments) {
        replyEachMember(c, args, missing: { $0.replyNullArray() }) { point in
            c.reply.writeArrayHeader(2)
            replyCoordinate(c, point.longitude)
            replyCoordinate(c, point.latitude)
        }
    }

    /// GEODIST key member1 member2 [M | KM | FT | MI]
    static func geodist(_ c: ClientSession, _ args: Arguments) {
        var metersPerUnit = 1.0
        if args.count == 5 {
            guard let unit = Self.metersPerUnit(c, args, at: 4) else { return }
            metersPerUnit = unit
        } else if args.count > 5 {
            return c.replyError(ErrorReply.syntax)
        }
        guard let zset = SortedSetCommands.existing(c, args[1], missingReply: { $0.replyNull() }) else { return }
        guard let from = position(of: args[2], in: zset), let to = position(of: args[3], in: zset) else {
            return c.replyNull()
        }
        let meters = GeoDistance.between(longitude1: from.longitude, latitude1: from.latitude,
                                         longitude2: to.longitude, latitude2: to.latitude)
        GeoDistance.withText(meters / metersPerUnit) { c.reply.writeBulk($0) }
    }

    /// GEOHASH key member [member ...]: each member's 11-character standard geohash, or nil.
    static func geohash(_ c: ClientSession, _ args: Arguments) {
        replyEachMember(c, args, missing: { $0.replyNull() }) { point in
            withStandardGeohash(longitude: point.longitude, latitude: point.latitude) { c.reply.writeBulk($0) }
        }
    }

    /// The usual geohash text: the point re-encoded over latitudes ±90 (scores use
    /// Mercator's ±85.05), 52 bits in ten base-32 letters and a final "0".
    static func withStandardGeohash<R>(longitude: Double, latitude: Double, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let bits = GeoHash.encode(longitude: longitude, latitude: latitude, step: GeoHash.maxStep,
                                  latitudeRange: GeoHash.standardLatitudeRange)?.bits ?? 0
        return geohashAlphabet.withUTF8Buffer { alphabet in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 11) { text in
                for letter in 0..<10 { text[letter] = alphabet[Int((bits >> UInt64(52 - (letter + 1) * 5)) & 0x1F)] }
                text[10] = alphabet[0]
                return body(UnsafeRawBufferPointer(text))
            }
        }
    }

    private static let geohashAlphabet: StaticString = "0123456789bcdefghjkmnpqrstuvwxyz"

    /// GEOPOS and GEOHASH: one reply per member, `missing` for a member not in the
    /// set (a missing key is an empty set), after a WRONGTYPE check.
    private static func replyEachMember(_ c: ClientSession, _ args: Arguments, missing: (ClientSession) -> Void,
                                        found: ((longitude: Double, latitude: Double)) -> Void) {
        SortedSetCommands.readingMissingAsEmpty(c, args[1]) { zset in
            c.reply.writeArrayHeader(args.count - 2)
            for index in 2..<args.count {
                if let zset, let point = position(of: args[index], in: zset) { found(point) } else { missing(c) }
            }
        }
    }
}

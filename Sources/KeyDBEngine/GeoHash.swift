#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Redis's geohash (geohash.c): a point is the number of the grid cell holding
/// it, with longitude and latitude bits interleaved. At 26 steps that is a
/// 52-bit number, the score a geo set stores for each member.
///
/// Every step is done in the same order and with the same integer widths as
/// Redis, so scores, decoded coordinates and search boxes match it bit for bit,
/// edge cases included (a longitude of exactly 180 carries into bit 53).
enum GeoHash {
    /// Redis's coordinate limits (Web Mercator's: no poles).
    static let longitudeLimit = 180.0
    static let latitudeLimit = 85.05112878
    /// 26 bits per axis: 52 bits, exactly representable in a double score.
    static let maxStep = 26

    struct Range: Equatable {
        var min: Double
        var max: Double
    }

    /// A cell: `step` bits per axis. `none` (bits 0 at step 0) is a neighbour
    /// the search has ruled out.
    struct Cell: Equatable {
        var bits: UInt64
        var step: Int
        static let none = Cell(bits: 0, step: 0)
    }

    /// The ranges scores are computed over.
    static let longitudeRange = Range(min: -longitudeLimit, max: longitudeLimit)
    static let latitudeRange = Range(min: -latitudeLimit, max: latitudeLimit)
    /// The ranges of the standard geohash GEOHASH prints.
    static let standardLatitudeRange = Range(min: -90, max: 90)

    static func isValid(longitude: Double, latitude: Double) -> Bool {
        !(longitude < -longitudeLimit || longitude > longitudeLimit || latitude < -latitudeLimit || latitude > latitudeLimit)
    }

    // MARK: - Interleaving

    /// The bits of `value` moved to the even positions of a 64-bit word.
    @inline(__always) static func spread(_ value: UInt32) -> UInt64 {
        var x = UInt64(value)
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F
        x = (x | (x << 2)) & 0x3333_3333_3333_3333
        x = (x | (x << 1)) & 0x5555_5555_5555_5555
        return x
    }

    /// The even-position bits of `word`, packed together (`spread` undone).
    @inline(__always) static func gather(_ word: UInt64) -> UInt32 {
        var x = word & 0x5555_5555_5555_5555
        x = (x | (x >> 1)) & 0x3333_3333_3333_3333
        x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F
        x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF
        x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF
        x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF
        return UInt32(truncatingIfNeeded: x)
    }

    /// Latitude in the even bits, longitude in the odd ones.
    @inline(__always) static func interleave(latitude: UInt32, longitude: UInt32) -> UInt64 {
        spread(latitude) | (spread(longitude) << 1)
    }

    // MARK: - Encoding and decoding

    /// The cell of `step` bits per axis holding the point, or nil outside the ranges.
    static func encode(longitude: Double, latitude: Double, step: Int,
                       longitudeRange: Range = longitudeRange, latitudeRange: Range = latitudeRange) -> Cell? {
        guard step > 0, step <= 32, isValid(longitude: longitude, latitude: latitude) else { return nil }
        guard latitude >= latitudeRange.min, latitude <= latitudeRange.max,
              longitude >= longitudeRange.min, longitude <= longitudeRange.max else { return nil }
        var latitudeOffset = (latitude - latitudeRange.min) / (latitudeRange.max - latitudeRange.min)
        var longitudeOffset = (longitude - longitudeRange.min) / (longitudeRange.max - longitudeRange.min)
        let cells = Double(UInt64(1) << UInt64(step))
        latitudeOffset *= cells
        longitudeOffset *= cells
        // Both offsets lie in 0...2^step here, so the truncation cannot trap.
        return Cell(bits: interleave(latitude: UInt32(latitudeOffset), longitude: UInt32(longitudeOffset)), step: step)
    }

    /// A cell's bounds: the longitude and latitude ranges it covers.
    struct Area {
        var longitude: Range
        var latitude: Range
    }

    static func decode(_ cell: Cell, longitudeRange: Range = longitudeRange, latitudeRange: Range = latitudeRange) -> Area? {
        guard cell != .none else { return nil }
        let latitudeCell = gather(cell.bits)
        let longitudeCell = gather(cell.bits >> 1)
        let cells = Double(UInt64(1) << UInt64(cell.step))
        let latitudeScale = latitudeRange.max - latitudeRange.min
        let longitudeScale = longitudeRange.max - longitudeRange.min
        // `+ 1` wraps in 32 bits, as Redis's unsigned arithmetic does.
        return Area(
            longitude: Range(min: longitudeRange.min + (Double(longitudeCell) / cells) * longitudeScale,
                             max: longitudeRange.min + (Double(longitudeCell &+ 1) / cells) * longitudeScale),
            latitude: Range(min: latitudeRange.min + (Double(latitudeCell) / cells) * latitudeScale,
                            max: latitudeRange.min + (Double(latitudeCell &+ 1) / cells) * latitudeScale))
    }

    /// The centre of a 52-bit score's cell, clamped to the limits: what GEOPOS shows.
    static func coordinates(ofScore score: Double) -> (longitude: Double, latitude: Double) {
        let area = decode(Cell(bits: scoreBits(score), step: maxStep))!  // step 26 is never `none`
        let longitude = (area.longitude.min + area.longitude.max) / 2
        let latitude = (area.latitude.min + area.latitude.max) / 2
        return (Swift.min(Swift.max(longitude, -longitudeLimit), longitudeLimit),
                Swift.min(Swift.max(latitude, -latitudeLimit), latitudeLimit))
    }

    /// The score a point is stored with.
    static func score(longitude: Double, latitude: Double) -> UInt64? {
        encode(longitude: longitude, latitude: latitude, step: maxStep).map(aligned52)
    }

    /// A cell's bits shifted up to 52 bits: the lowest score inside it.
    static func aligned52(_ cell: Cell) -> UInt64 {
        cell.bits << UInt64(52 - cell.step * 2)
    }

    /// A score as an unsigned 64-bit integer the way Redis's C cast does it on
    /// x86-64: any score a user ZADDs is accepted (negative, huge, infinite),
    /// and must decode to the same odd point Redis shows for it.
    static func scoreBits(_ score: Double) -> UInt64 {
        let twoTo63 = 9_223_372_036_854_775_808.0
        // cvttsd2si answers 2^63 for anything it cannot represent.
        func truncated(_ value: Double) -> UInt64 {
            guard value > -twoTo63 - 1025, value < twoTo63 else { return 1 << 63 }
            return UInt64(bitPattern: Int64(value))
        }
        if !(score >= twoTo63) { return truncated(score) }
        return truncated(score - twoTo63) ^ (1 << 63)
    }

    // MARK: - Neighbours

    /// The cell `dx` columns east and `dy` rows north (each -1, 0 or 1), wrapping around.
    static func moved(_ cell: Cell, dx: Int, dy: Int) -> Cell {
        var bits = cell.bits
        let width = UInt64(64 - cell.step * 2)
        // Each axis is stepped on its own: the other axis's positions are filled
        // with ones (or zeros) so a carry or borrow runs straight through them.
        func step(_ axisMask: UInt64, _ direction: Int) {
            guard direction != 0 else { return }
            let otherOnes = ~axisMask >> width
            var axis = bits & axisMask
            let others = bits & ~axisMask
            if direction > 0 {
                axis = axis &+ (otherOnes &+ 1)
            } else {
                axis = (axis | otherOnes) &- (otherOnes &+ 1)
            }
            bits = (axis & (axisMask >> width)) | others
        }
        step(0xAAAA_AAAA_AAAA_AAAA, dx)
        step(0x5555_5555_5555_5555, dy)
        return Cell(bits: bits, step: cell.step)
    }
}

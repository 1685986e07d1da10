#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Distances on Redis's sphere (geohash_helper.c): the haversine formula with
/// the earth's quadratic mean radius, in the same operation order as Redis so
/// results agree to the last bit.
enum GeoDistance {
    /// Redis's earth radius in meters.
    static let earthRadius = 6372797.560856
    /// Degrees to radians as Redis computes it (π / 180, rounded once).
    static let radiansPerDegree = Double.pi / 180.0

    @inline(__always) static func radians(_ degrees: Double) -> Double { degrees * radiansPerDegree }
    @inline(__always) static func degrees(_ radians: Double) -> Double { radians / radiansPerDegree }

    /// Meters between two latitudes along a meridian.
    static func alongMeridian(_ latitude1: Double, _ latitude2: Double) -> Double {
        earthRadius * abs(radians(latitude2) - radians(latitude1))
    }

    /// Meters between two points (haversine).
    static func between(longitude1: Double, latitude1: Double, longitude2: Double, latitude2: Double) -> Double {
        let v = sin((radians(longitude2) - radians(longitude1)) / 2)
        // The same longitude: the cheaper meridian distance, as Redis takes it.
        if v == 0.0 { return alongMeridian(latitude1, latitude2) }
        let latitude1r = radians(latitude1), latitude2r = radians(latitude2)
        let u = sin((latitude2r - latitude1r) / 2)
        let a = u * u + cos(latitude1r) * cos(latitude2r) * v * v
        return 2.0 * earthRadius * asin(sqrt(a))
    }

    /// Redis's `fixedpoint_d2string` with four decimals: how GEODIST and WITHDIST
    /// print a distance (rounded half to even, as `llrint`).
    static func text(_ distance: Double) -> [UInt8] {
        if distance == 0 { return Array("0.0000".utf8) }
        let scaled = (distance * 10000).rounded(.toNearestOrEven)
        // llrint answers LLONG_MIN for what it cannot represent (NaN included).
        let value: Int64 = scaled >= -9_223_372_036_854_775_808.0 && scaled < 9_223_372_036_854_775_808.0 ? Int64(scaled) : .min
        var text: [UInt8] = value < 0 ? [UInt8(ascii: "-")] : []
        let magnitude = value.magnitude
        text.append(contentsOf: String(magnitude / 10000).utf8)
        text.append(UInt8(ascii: "."))
        let fraction = magnitude % 10000
        for divisor: UInt64 in [1000, 100, 10, 1] { text.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10)) }
        return text
    }
}

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
    /// print a distance (rounded half to even, as `llrint`). The text is built in
    /// a small buffer on the stack and handed to `body`.
    static func withText<R>(_ distance: Double, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let scaled = (distance * 10000).rounded(.toNearestOrEven)
        // llrint answers LLONG_MIN for what it cannot represent (NaN included).
        let value: Int64 = scaled >= -9_223_372_036_854_775_808.0 && scaled < 9_223_372_036_854_775_808.0 ? Int64(scaled) : .min
        // At most a sign, 19 digits and the point.
        return withBackwardText(capacity: 24, { text in
            text.putDigits(value.magnitude % 10000, count: 4)
            text.put(UInt8(ascii: "."))
            text.putDigits(value.magnitude / 10000)
            if value < 0 { text.put(UInt8(ascii: "-")) }
        }, body)
    }

    /// The text `withText` builds, as an array (for tests).
    static func text(_ distance: Double) -> [UInt8] { withText(distance) { Array($0) } }
}

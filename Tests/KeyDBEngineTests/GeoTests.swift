@testable import KeyDBEngine
import KeyDBRESP
import NIOCore
import Testing

/// The geohash and distance maths, and the geo commands through the engine.
/// Every expected value was read from redis-server 7.0.15.
@Suite("geo")
struct GeoTests {
    // MARK: - Geohash

    @Test("points encode to Redis's 52-bit scores, the limits included")
    func encoding() {
        #expect(GeoHash.score(longitude: 13.361389, latitude: 38.115556) == 3479099956230698)
        #expect(GeoHash.score(longitude: 15.087269, latitude: 37.502669) == 3479447370796909)
        // Exactly 180 / the top latitude: both axes overflow their 26 bits into bits 52 and 53.
        #expect(GeoHash.score(longitude: 180, latitude: 85.05112878) == 13510798882111488)
        #expect(GeoHash.score(longitude: -180, latitude: -85.05112878) == 0)
        #expect(GeoHash.score(longitude: 180.0000001, latitude: 0) == nil)
        #expect(GeoHash.score(longitude: 0, latitude: 85.05112879) == nil)
        #expect(GeoHash.score(longitude: 0, latitude: -90) == nil)
    }

    @Test("scores decode to the centre of their cell, clamped to the limits")
    func decoding() {
        let palermo = GeoHash.coordinates(ofScore: 3479099956230698)
        #expect(formatLongDouble(Float80(palermo.longitude)) == Array("13.36138933897018433".utf8))
        #expect(formatLongDouble(Float80(palermo.latitude)) == Array("38.11555639549629859".utf8))
        let corner = GeoHash.coordinates(ofScore: 13510798882111488)
        #expect(corner.longitude == 180 && corner.latitude == 85.05112878)
        let origin = GeoHash.coordinates(ofScore: 0)
        #expect(formatLongDouble(Float80(origin.longitude)) == Array("-179.99999731779098511".utf8))
        #expect(formatLongDouble(Float80(origin.latitude)) == Array("-85.05112751263942528".utf8))
    }

    @Test("any score converts to bits as Redis's C cast does on x86-64")
    func scoreBits() {
        #expect(GeoHash.scoreBits(3479099956230698) == 3479099956230698)
        #expect(GeoHash.scoreBits(-0.5) == 0)
        #expect(GeoHash.scoreBits(-1) == UInt64.max)
        #expect(GeoHash.scoreBits(9_223_372_036_854_775_808.0) == 1 << 63)
        #expect(GeoHash.scoreBits(18_446_744_073_709_551_616.0) == 0)
        #expect(GeoHash.scoreBits(.infinity) == 0)
        #expect(GeoHash.scoreBits(-.infinity) == 1 << 63)
        #expect(GeoHash.scoreBits(1e19) == 10_000_000_000_000_000_000)
    }

    @Test("interleaving round-trips, latitude in the even bits")
    func interleaving() {
        #expect(GeoHash.interleave(latitude: 1, longitude: 0) == 1)
        #expect(GeoHash.interleave(latitude: 0, longitude: 1) == 2)
        #expect(GeoHash.interleave(latitude: .max, longitude: .max) == .max)
        for (latitude, longitude) in [(UInt32(0x3FF_FFFF), UInt32(0x155_5555)), (12345, 67890), (1 << 26, 1 << 26)] {
            let bits = GeoHash.interleave(latitude: latitude, longitude: longitude)
            #expect(GeoHash.gather(bits) == latitude)
            #expect(GeoHash.gather(bits >> 1) == longitude)
        }
    }

    @Test("neighbour cells wrap around the antimeridian and the poles")
    func neighbours() {
        let cell = GeoHash.encode(longitude: 179.9, latitude: 10, step: 4)!
        let east = GeoHash.moved(cell, dx: 1, dy: 0)
        #expect(GeoHash.decode(east)!.longitude.min == -180)
        let west = GeoHash.moved(east, dx: -1, dy: 0)
        #expect(west == cell)
        let top = GeoHash.encode(longitude: 0, latitude: 85, step: 3)!
        #expect(GeoHash.decode(GeoHash.moved(top, dx: 0, dy: 1))!.latitude.min == -85.05112878)
        let diagonal = GeoHash.moved(GeoHash.moved(cell, dx: 1, dy: 1), dx: -1, dy: -1)
        #expect(diagonal == cell)
    }

    @Test("the standard geohash text re-encodes over ±90 latitude")
    func standardGeohash() {
        let palermo = GeoHash.coordinates(ofScore: 3479099956230698)
        #expect(GeoCommands.withStandardGeohash(longitude: palermo.longitude, latitude: palermo.latitude) { Array($0) } == Array("sqc8b49rny0".utf8))
        let corner = GeoHash.coordinates(ofScore: 13510798882111488)
        #expect(GeoCommands.withStandardGeohash(longitude: corner.longitude, latitude: corner.latitude) { Array($0) } == Array("bp05b5048p0".utf8))
    }

    // MARK: - Distances and search areas

    @Test("haversine distances on Redis's sphere, printed with four decimals")
    func distances() {
        let palermo = GeoHash.coordinates(ofScore: 3479099956230698)
        let catania = GeoHash.coordinates(ofScore: 3479447370796909)
        let meters = GeoDistance.between(longitude1: palermo.longitude, latitude1: palermo.latitude,
                                         longitude2: catania.longitude, latitude2: catania.latitude)
        #expect(GeoDistance.text(meters) == Array("166274.1516".utf8))
        #expect(GeoDistance.text(meters / 1000) == Array("166.2742".utf8))
        #expect(GeoDistance.text(meters / 1609.34) == Array("103.3182".utf8))
        // Same longitude: the meridian distance.
        #expect(GeoDistance.between(longitude1: 10, latitude1: 0, longitude2: 10, latitude2: 1)
                == GeoDistance.alongMeridian(0, 1))
    }

    @Test("distance text: half to even, small values keep their leading zero")
    func distanceText() {
        #expect(GeoDistance.text(0) == Array("0.0000".utf8))
        #expect(GeoDistance.text(-0.0) == Array("0.0000".utf8))
        #expect(GeoDistance.text(1) == Array("1.0000".utf8))
        #expect(GeoDistance.text(0.5) == Array("0.5000".utf8))
        #expect(GeoDistance.text(0.00006064) == Array("0.0001".utf8))
        #expect(GeoDistance.text(0.00015) == Array("0.0001".utf8))
        #expect(GeoDistance.text(12.34565) == Array("12.3456".utf8))
        #expect(GeoDistance.text(1e-9) == Array("0.0000".utf8))
        #expect(GeoDistance.text(.nan) == Array("-922337203685477.5808".utf8))
    }

    @Test("coordinate text matches printf's %.17Lf, exactly rounded, for any value within ±180")
    func coordinateText() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 180, -180, 85.05112878, -85.05112878, 1e-17, 5e-18, .leastNonzeroMagnitude, -1e-300,
                                0.5, 2.5e-17, 7.5e-17, 13.36138933897018433, -179.99999731779098511, 1.0 / 3]
        for _ in 0..<20_000 { values.append(Double.random(in: -180...180, using: &generator)) }
        for exponent in -60...7 { values.append(Double(sign: .plus, exponent: exponent, significand: 1.5)) }
        // Multiples of 2^-18 have exactly 18 decimals: ties at the 17th, rounded to even.
        for _ in 0..<2_000 { values.append(Double(Int.random(in: -47_185_920...47_185_920, using: &generator)) / 262_144) }
        for value in values {
            let text = withCoordinateText(value) { Array($0) }
            #expect(text == formatLongDouble(Float80(value)), "\(value)")
        }
    }

    @Test("the search step follows the radius, coarser near the poles")
    func searchStep() {
        #expect(GeoShape.estimatedStep(meters: 0, latitude: 0) == 26)
        #expect(GeoShape.estimatedStep(meters: 1, latitude: 0) == 24)
        #expect(GeoShape.estimatedStep(meters: 1, latitude: 70) == 23)
        #expect(GeoShape.estimatedStep(meters: 1, latitude: -81) == 22)
        #expect(GeoShape.estimatedStep(meters: 5_000_000, latitude: 0) == 2)
        #expect(GeoShape.estimatedStep(meters: 50_000_000, latitude: 0) == 1)
        #expect(GeoShape.estimatedStep(meters: .infinity, latitude: 0) == 1)
    }

    @Test("a box search checks latitude, then longitude along its own parallel")
    func boxMembership() {
        let shape = GeoShape(longitude: 0, latitude: 0, kind: .box(width: 200, height: 100), metersPerUnit: 1000)
        #expect(shape.distance(toLongitude: 0.8, latitude: 0) != nil)
        #expect(shape.distance(toLongitude: 0, latitude: 0.5) == nil)
        #expect(shape.distance(toLongitude: 0.95, latitude: 0) == nil)
        #expect(shape.distance(toLongitude: 0.85, latitude: 0.4) != nil)
        // The box's corner lies outside the circle through its side's midpoints.
        let circle = GeoShape(longitude: 0, latitude: 0, kind: .radius(100), metersPerUnit: 1000)
        #expect(circle.distance(toLongitude: 0.85, latitude: 0.4) == nil)
        #expect(circle.searchCells.count == 9)
    }

    @Test("the partial quicksort puts the wanted positions in order")
    func partialSort() {
        var generator = SystemRandomNumberGenerator()
        for size in [2, 6, 7, 8, 40, 41, 100, 1000] {
            let values = (0..<size).map { _ in Int.random(in: 0..<(size * 2), using: &generator) }
            for keep in Set([1, size / 2, size - 1, size].filter { $0 > 0 }) {
                var sorted = values
                partialQuicksort(&sorted, wanted: 0...(keep - 1)) { $0 < $1 ? -1 : ($0 == $1 ? 0 : 1) }
                #expect(Array(sorted.prefix(keep)) == Array(values.sorted().prefix(keep)), "size \(size) keep \(keep)")
                #expect(sorted.sorted() == values.sorted())
            }
        }
    }

    // MARK: - Commands

    /// A harness holding Redis's documentation example: Palermo and Catania.
    private func sicily() -> EngineHarness {
        let h = EngineHarness()
        h.run("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
        return h
    }

    @Test("GEOADD is ZADD on geohash scores; errors name the pair")
    func geoadd() {
        let h = EngineHarness()
        h.script([
            ("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", int(2)),
            ("ZSCORE Sicily Palermo", bulk("3479099956230698")),
            ("GEOADD Sicily CH 13.361 38.115556 Palermo", int(1)),
            ("GEOADD Sicily NX 1 1 Palermo", int(0)),
            ("GEOADD Sicily XX 1 1 Nope", int(0)),
            ("GEOADD Sicily XX NX 1 1 a", syntaxError),
            ("GEOADD Sicily 1 1 a 2", syntaxError),
            ("GEOADD Sicily CH CH CH", syntaxError),
            ("GEOADD bad 200 10 m", "-ERR invalid longitude,latitude pair 200.000000,10.000000\r\n"),
            ("GEOADD bad 1 1 ok 1 x notok", "-ERR value is not a valid float\r\n"),
            ("EXISTS bad", int(0)),
            ("SET s x", "+OK\r\n"),
            ("GEOADD s 1 1 a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ])
    }

    @Test("GEOPOS, GEODIST and GEOHASH read the stored points")
    func reading() {
        sicily().script([
            ("GEOPOS Sicily Palermo Nope", "*2\r\n*2\r\n" + bulk("13.36138933897018433") + bulk("38.11555639549629859") + "*-1\r\n"),
            ("GEOPOS nokey a", "*1\r\n*-1\r\n"),
            ("GEODIST Sicily Palermo Catania", bulk("166274.1516")),
            ("GEODIST Sicily Palermo Catania KM", bulk("166.2742")),
            ("GEODIST Sicily Palermo Catania ft", bulk("545518.8700")),
            ("GEODIST Sicily Palermo Catania yd", "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"),
            ("GEODIST Sicily Palermo Catania km x", syntaxError),
            ("GEODIST Sicily Palermo Nope", nullBulk),
            ("GEODIST nokey a b", nullBulk),
            ("GEOHASH Sicily Palermo Catania Nope", "*3\r\n" + bulk("sqc8b49rny0") + bulk("sqdtr74hyu0") + nullBulk),
        ])
    }

    @Test("searches: order, COUNT, ANY and the reply shapes")
    func searching() {
        sicily().script([
            ("GEORADIUS Sicily 15 37 200 km WITHDIST ASC", "*2\r\n*2\r\n" + bulk("Catania") + bulk("56.4413") + "*2\r\n" + bulk("Palermo") + bulk("190.4424")),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC COUNT 1", "*1\r\n" + bulk("Palermo")),
            ("GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km ASC WITHHASH", "*2\r\n*2\r\n" + bulk("Palermo") + int(3479099956230698) + "*2\r\n" + bulk("Catania") + int(3479447370796909)),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km", "*0\r\n"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY", "-ERR the ANY argument requires COUNT argument\r\n"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 0", "-ERR COUNT must be > 0\r\n"),
            ("geosearch Sicily BYRADIUS 200 km ASC WITHDIST", "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch\r\n"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 ASC WITHDIST", "-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH\r\n"),
            ("GEOSEARCH Sicily FROMMEMBER Nope BYRADIUS 1 km", "-ERR could not decode requested zset member\r\n"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km", "-ERR height or width cannot be negative\r\n"),
            ("GEORADIUS Sicily 15 37 -1 km", "-ERR radius cannot be negative\r\n"),
            ("GEORADIUS Sicily 15 37 x km", "-ERR need numeric radius\r\n"),
            ("GEORADIUS_RO Sicily 15 37 200 km STORE d", syntaxError),
            ("GEORADIUSBYMEMBER nokey Nope -1 km", "*0\r\n"),
        ])
    }

    @Test("STORE, STOREDIST and GEOSEARCHSTORE write sorted sets, or delete the destination")
    func storing() {
        sicily().script([
            ("GEORADIUS Sicily 15 37 200 km STORE d WITHDIST", "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"),
            ("GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST", "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"),
            ("GEORADIUS Sicily 15 37 200 km STORE d", int(2)),
            ("ZSCORE d Catania", bulk("3479447370796909")),
            ("GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 1", int(1)),
            ("ZRANGE d 0 -1 WITHSCORES", "*2\r\n" + bulk("Catania") + bulk("56.441257870158204")),
            ("GEORADIUSBYMEMBER Sicily Palermo 1 m STORE d", int(1)),
            ("GEOSEARCHSTORE d Sicily FROMLONLAT 0 0 BYRADIUS 1 m", int(0)),
            ("EXISTS d", int(0)),
        ])
    }

    @Test("GEOADD is logged as the ZADD it ran; a search that stores is logged as sent")
    func propagation() {
        let h = EngineHarness()
        let feed = AppendOnlyFeed()
        h.engine.appendOnlyFeed = feed
        h.run("GEOADD", "g", "CH", "13.361389", "38.115556", "Palermo")
        h.run("GEOADD", "g", "NX", "13.361389", "38.115556", "Palermo")  // no change: no record
        h.run("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km")
        let text = feed.buffer.getString(at: feed.buffer.readerIndex, length: feed.buffer.readableBytes)!
        #expect(text == "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
            + "*5\r\n$4\r\nzadd\r\n$1\r\ng\r\n$2\r\nCH\r\n$16\r\n3479099956230698\r\n$7\r\nPalermo\r\n"
            + "*8\r\n$14\r\nGEOSEARCHSTORE\r\n$1\r\nd\r\n$1\r\ng\r\n$10\r\nFROMMEMBER\r\n$7\r\nPalermo\r\n$8\r\nBYRADIUS\r\n$1\r\n1\r\n$2\r\nkm\r\n")
    }
}

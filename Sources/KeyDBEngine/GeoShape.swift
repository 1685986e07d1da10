#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a geo search looks inside (Redis's GeoShape): a circle or a box around
/// a centre, and the nine geohash cells that cover it (geohash_helper.c).
struct GeoShape {
    enum Kind {
        case radius(Double)
        case box(width: Double, height: Double)
    }

    var longitude: Double
    var latitude: Double
    var kind: Kind
    /// Meters per unit of the radius or box sides.
    var metersPerUnit: Double

    /// Whether the point at `longitude`, `latitude` is inside; its distance from the centre if so.
    func distance(toLongitude longitude: Double, latitude: Double) -> Double? {
        switch kind {
        case .radius(let radius):
            let distance = GeoDistance.between(longitude1: self.longitude, latitude1: self.latitude,
                                               longitude2: longitude, latitude2: latitude)
            return distance > radius * metersPerUnit ? nil : distance
        case .box(let width, let height):
            // The latitude test first: it is the cheaper one.
            if GeoDistance.alongMeridian(latitude, self.latitude) > height * metersPerUnit / 2 { return nil }
            let across = GeoDistance.between(longitude1: longitude, latitude1: latitude, longitude2: self.longitude, latitude2: latitude)
            if across > width * metersPerUnit / 2 { return nil }
            return GeoDistance.between(longitude1: self.longitude, latitude1: self.latitude, longitude2: longitude, latitude2: latitude)
        }
    }

    // MARK: - The cells to search

    /// Redis's Mercator half-width in meters: the step estimate's yardstick.
    private static let mercatorMax = 20037726.37

    /// The coarsest step whose cells are still about as small as `meters`, one
    /// or two steps coarser near the poles.
    static func estimatedStep(meters: Double, latitude: Double) -> Int {
        if meters == 0 { return GeoHash.maxStep }
        var range = meters
        var step = 1
        while range < mercatorMax {
            range *= 2
            step += 1
        }
        step -= 2
        if latitude > 66 || latitude < -66 {
            step -= 1
            if latitude > 80 || latitude < -80 { step -= 1 }
        }
        return Swift.min(Swift.max(step, 1), GeoHash.maxStep)
    }

    /// The longitude and latitude bounds of the shape (min longitude, min latitude, max longitude, max latitude).
    var boundingBox: (minLongitude: Double, minLatitude: Double, maxLongitude: Double, maxLatitude: Double) {
        let halfHeight: Double, halfWidth: Double
        switch kind {
        case .radius(let radius):
            halfHeight = metersPerUnit * radius
            halfWidth = metersPerUnit * radius
        case .box(let width, let height):
            halfHeight = metersPerUnit * (height / 2)
            halfWidth = metersPerUnit * (width / 2)
        }
        let latitudeDelta = GeoDistance.degrees(halfHeight / GeoDistance.earthRadius)
        let longitudeDeltaTop = GeoDistance.degrees(halfWidth / GeoDistance.earthRadius / cos(GeoDistance.radians(latitude + latitudeDelta)))
        let longitudeDeltaBottom = GeoDistance.degrees(halfWidth / GeoDistance.earthRadius / cos(GeoDistance.radians(latitude - latitudeDelta)))
        // The box is widest on the side nearer the equator.
        let longitudeDelta = latitude < 0 ? longitudeDeltaBottom : longitudeDeltaTop
        return (longitude - longitudeDelta, latitude - latitudeDelta, longitude + longitudeDelta, latitude + latitudeDelta)
    }

    /// The centre's cell and its eight neighbours, in Redis's order (centre, N, S,
    /// E, W, NE, NW, SE, SW); a neighbour wholly outside the bounding box is `none`.
    var searchCells: [GeoHash.Cell] {
        let bounds = boundingBox
        let meters: Double
        switch kind {
        case .radius(let radius): meters = radius * metersPerUnit
        case .box(let width, let height): meters = sqrt((width / 2) * (width / 2) + (height / 2) * (height / 2)) * metersPerUnit
        }
        var step = Self.estimatedStep(meters: meters, latitude: latitude)

        func cells(at step: Int) -> [GeoHash.Cell] {
            // The centre was checked against the limits, so it always has a cell.
            let centre = GeoHash.encode(longitude: longitude, latitude: latitude, step: step) ?? GeoHash.Cell(bits: 0, step: step)
            return [centre,
                    GeoHash.moved(centre, dx: 0, dy: 1), GeoHash.moved(centre, dx: 0, dy: -1),
                    GeoHash.moved(centre, dx: 1, dy: 0), GeoHash.moved(centre, dx: -1, dy: 0),
                    GeoHash.moved(centre, dx: 1, dy: 1), GeoHash.moved(centre, dx: -1, dy: 1),
                    GeoHash.moved(centre, dx: 1, dy: -1), GeoHash.moved(centre, dx: -1, dy: -1)]
        }
        var found = cells(at: step)

        // Near a cell's edge the estimate can be one step too fine: a neighbour
        // may not reach the far side of the box. Then go one step coarser.
        let north = GeoHash.decode(found[1])!, south = GeoHash.decode(found[2])!
        let east = GeoHash.decode(found[3])!, west = GeoHash.decode(found[4])!
        if step > 1 && (north.latitude.max < bounds.maxLatitude || south.latitude.min > bounds.minLatitude
                        || east.longitude.max < bounds.maxLongitude || west.longitude.min > bounds.minLongitude) {
            step -= 1
            found = cells(at: step)
        }

        // Drop the neighbours on a side the centre cell already covers.
        if step >= 2, let area = GeoHash.decode(found[0]) {
            if area.latitude.min < bounds.minLatitude { for i in [2, 7, 8] { found[i] = .none } }
            if area.latitude.max > bounds.maxLatitude { for i in [1, 5, 6] { found[i] = .none } }
            if area.longitude.min < bounds.minLongitude { for i in [4, 8, 6] { found[i] = .none } }
            if area.longitude.max > bounds.maxLongitude { for i in [3, 7, 5] { found[i] = .none } }
        }
        return found
    }
}

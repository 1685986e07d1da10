import NIOCore

/// One end of a client's connection as CLIENT LIST, CLIENT KILL and the slow log
/// show it: `ip:port`, `[ip]:port` for IPv6, or a Unix socket's text.
///
/// A TCP end is kept as its address and turned into text the first time it is
/// shown: making the text when the connection opens (with `inet_ntop`, whose
/// printf alone is 3,000 instructions) was an eighth of the work of a
/// connection that sends one request (`redis-benchmark -k 0`).
public enum ConnectionEnd: Sendable {
    case socket(SocketAddress)
    case text(String)

    var text: String {
        switch self {
        case .text(let text): text
        case .socket(let address): Self.text(of: address)
        }
    }

    /// Its text, kept in place of the address so that it is made once.
    mutating func keptText() -> String {
        if case .socket(let address) = self { self = .text(Self.text(of: address)) }
        return text
    }

    /// Local as protected mode sees a TCP peer: one whose address Redis writes as
    /// 127.0.0.1 or ::1 (so 127.0.0.2 and ::ffff:127.0.0.1 are not), found
    /// without making that text.
    public static func isLoopback(_ address: SocketAddress) -> Bool {
        switch address {
        case .v4(let ipv4): UInt32(bigEndian: ipv4.address.sin_addr.s_addr) == 0x7F00_0001
        case .v6(let ipv6): withUnsafeBytes(of: ipv6.address.sin6_addr) { $0.prefix(15).allSatisfy { $0 == 0 } && $0[15] == 1 }
        case .unixDomainSocket: false
        }
    }

    static func text(of address: SocketAddress) -> String {
        guard case .v4(let ipv4) = address else {
            let ip = address.ipAddress ?? "?"
            return "\(ip.contains(":") ? "[\(ip)]" : ip):\(address.port ?? 0)"
        }
        // At most "255.255.255.255:65535", 21 bytes.
        return String(unsafeUninitializedCapacity: 21) { text in
            var count = 0
            func append(_ byte: UInt8) {
                text[count] = byte
                count += 1
            }
            func appendDecimal(_ value: Int) {
                if value >= 10 { appendDecimal(value / 10) }
                append(UInt8(ascii: "0") + UInt8(value % 10))
            }
            withUnsafeBytes(of: ipv4.address.sin_addr) { octets in  // network order: first octet first
                for (index, octet) in octets.enumerated() {
                    if index > 0 { append(UInt8(ascii: ".")) }
                    appendDecimal(Int(octet))
                }
            }
            append(UInt8(ascii: ":"))
            appendDecimal(address.port ?? 0)
            return count
        }
    }
}

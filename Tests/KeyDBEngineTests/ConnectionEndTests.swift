@testable import KeyDBEngine
import NIOCore
import Testing

/// A connection end's CLIENT LIST text, made without inet_ntop for IPv4, and
/// protected mode's loopback test, made without any text.
@Suite struct ConnectionEndTests {
    @Test func ipv4TextIsTheAddressAndPortAsInetNtopWritesThem() throws {
        var generator = SystemRandomNumberGenerator()
        let fixed = ["0.0.0.0", "255.255.255.255", "127.0.0.1", "10.0.100.9", "1.22.203.4"]
        let random = (0..<500).map { _ in (0..<4).map { _ in String(UInt8.random(in: 0...255, using: &generator)) }.joined(separator: ".") }
        for ip in fixed + random {
            for port in [0, 9, 80, 6379, 65535, Int.random(in: 0...65535, using: &generator)] {
                let address = try SocketAddress(ipAddress: ip, port: port)
                #expect(ConnectionEnd.socket(address).text == "\(ip):\(port)")
                #expect(ConnectionEnd.socket(address).text == "\(address.ipAddress!):\(address.port!)")
            }
        }
    }

    @Test func ipv6TextIsBracketed() throws {
        #expect(ConnectionEnd.socket(try SocketAddress(ipAddress: "::1", port: 6379)).text == "[::1]:6379")
        #expect(ConnectionEnd.socket(try SocketAddress(ipAddress: "fe80::a:1", port: 40000)).text == "[fe80::a:1]:40000")
        #expect(ConnectionEnd.socket(try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 1)).text == "[::ffff:127.0.0.1]:1")
    }

    @Test func aSessionShowsItsEndsAndKeepsTheirText() throws {
        let session = ClientSession(engine: Engine(), peer: .socket(try SocketAddress(ipAddress: "192.168.1.20", port: 51000)),
                                    local: .socket(try SocketAddress(ipAddress: "::1", port: 6379)))
        #expect(session.address == "192.168.1.20:51000")
        #expect(session.localAddress == "[::1]:6379")
        #expect(session.address == "192.168.1.20:51000")
        #expect(ClientSession(engine: Engine(), address: "/tmp/s.sock:0").address == "/tmp/s.sock:0")
    }

    @Test(arguments: [("127.0.0.1", true), ("::1", true), ("127.0.0.2", false), ("::ffff:127.0.0.1", false),
                      ("0.0.0.0", false), ("::", false), ("::2", false), ("1::1", false), ("1.0.0.127", false), ("10.0.0.1", false)])
    func loopbackIsWhatRedisWritesAs127001OrColonColon1(ip: String, loopback: Bool) throws {
        #expect(ConnectionEnd.isLoopback(try SocketAddress(ipAddress: ip, port: 6379)) == loopback)
    }
}

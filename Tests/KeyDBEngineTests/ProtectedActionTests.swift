import KeyDBEngine
import Testing

/// enable-debug-command and enable-protected-configs: "no" by default, as Redis 7;
/// texts as redis-server 7.0.15 replies them.
@Suite struct ProtectedActionTests {
    static let refused = "-\(ErrorReply.debugNotAllowed)\r\n"

    @Test func debugIsRefusedByDefaultAfterTheArityCheck() {
        let h = EngineHarness(configuration: Configuration())
        #expect(h.run("DEBUG", "SLEEP", "0") == Self.refused)
        #expect(h.run("debug", "help") == Self.refused)
        #expect(h.run("DEBUG") == "-ERR wrong number of arguments for 'debug' command\r\n")
        #expect(h.run("MULTI") == ok)
        #expect(h.run("DEBUG", "SLEEP", "0") == Self.refused)
        #expect(h.run("EXEC") == "-EXECABORT Transaction discarded because of previous errors.\r\n")
        #expect(h.value("CONFIG", "GET", "enable-debug-command").array == [.bulk(Array("enable-debug-command".utf8)), .bulk(Array("no".utf8))])
        #expect(h.run("CONFIG", "SET", "enable-debug-command", "yes")
                == "-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable config\r\n")
    }

    @Test func localAllowsLoopbackClientsOnly() {
        var configuration = Configuration()
        try? Configuration.option(named: "enable-debug-command")?.set(&configuration, ["LOCAL"])
        #expect(configuration.enableDebugCommand == .local)
        let h = EngineHarness(configuration: configuration)
        #expect(h.connect(address: "127.0.0.1:50000").run("DEBUG", "SLEEP", "0") == ok)
        #expect(h.connect(address: "[::1]:50000").run("DEBUG", "SLEEP", "0") == ok)
        for remote in ["10.0.0.7:50000", "127.0.0.2:50000", "[::ffff:127.0.0.1]:50000", ""] {
            #expect(h.connect(address: remote).run("DEBUG", "SLEEP", "0") == Self.refused, "\(remote)")
        }
    }

    /// MODULE LOAD / LOADEX / UNLOAD answer to enable-module-command, not to
    /// enable-debug-command; LIST and HELP are not protected.
    @Test func moduleLoadingFollowsEnableModuleCommand() {
        let moduleRefused = "-\(ErrorReply.moduleNotAllowed)\r\n"
        let debugOnly = EngineHarness()  // enable-debug-command yes
        #expect(debugOnly.run("MODULE", "LOAD", "/x.so") == moduleRefused)
        #expect(debugOnly.run("MODULE", "UNLOAD", "x") == moduleRefused)
        #expect(debugOnly.run("MODULE", "LIST") == "*0\r\n")
        var configuration = Configuration()
        configuration.enableModuleCommand = .yes
        let modulesOnly = EngineHarness(configuration: configuration)
        #expect(modulesOnly.run("DEBUG", "SLEEP", "0") == Self.refused)
        #expect(modulesOnly.run("MODULE", "LOADEX", "/x.so", "CONFIG", "a") == "-ERR Error loading the extension. Please check the server logs.\r\n")
        #expect(modulesOnly.run("MODULE", "UNLOAD", "x") == "-ERR Error unloading module: no such module with that name\r\n")
    }

    @Test func valuesAreNoYesOrLocal() {
        var configuration = Configuration()
        #expect(throws: ConfigError("argument(s) must be one of the following: no, yes, local")) {
            try Configuration.option(named: "enable-protected-configs")?.set(&configuration, ["maybe"])
        }
    }

    @Test func protectedConfigsNeedEnableProtectedConfigs() throws {
        let refusing = EngineHarness(configuration: Configuration())
        #expect(refusing.run("CONFIG", "SET", "dir", "/tmp")
                == "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n")
        var configuration = Configuration()
        configuration.enableProtectedConfigs = .yes
        let allowing = EngineHarness(configuration: configuration)
        #expect(allowing.run("CONFIG", "SET", "dbfilename", "other.rdb") == ok)
        #expect(allowing.value("CONFIG", "GET", "dbfilename").array.last == .bulk(Array("other.rdb".utf8)))
    }
}

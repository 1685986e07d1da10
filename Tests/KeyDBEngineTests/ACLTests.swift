import KeyDBEngine
import Testing

/// Users and permissions: rules, their description, the checks at dispatch,
/// logins and the ACL log. Texts as redis-server 7.0.15 gives them (the
/// differential case file Tests/Python/cases/acl.txt compares the rest).
@Suite("access control")
struct ACLTests {
    @Test("SHA-256 digests match the FIPS 180-4 examples")
    func sha256Vectors() {
        let h = EngineHarness()
        // ACL GETUSER shows each password as its SHA-256 hex digest.
        h.run("ACL", "SETUSER", "u", ">abc", ">", ">abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        let passwords = h.value("ACL", "GETUSER", "u").array[3].array
        #expect(passwords.map(\.string) == [
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        ])
    }

    @Test("a new user can do nothing until rules allow it")
    func newUserDeniedEverything() {
        let h = EngineHarness()
        h.script([
            ("ACL SETUSER bob on >pw", ok),
            ("AUTH bob pw", ok),
            ("GET k", "-NOPERM this user has no permissions to run the 'get' command\r\n"),
            ("AUTH default x", ok),
            ("ACL SETUSER bob +get", ok),
            ("AUTH bob pw", ok),
            ("GET k", "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"),
            ("AUTH default x", ok),
            ("ACL SETUSER bob ~k*", ok),
            ("AUTH bob pw", ok),
            ("GET k", "$-1\r\n"),
            ("ACL WHOAMI", "-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n"),
        ])
    }

    @Test("read and write key patterns follow each key's use")
    func readWritePatterns() {
        let h = EngineHarness()
        h.run(line: "ACL SETUSER rw on nopass %R~r* %W~w* +@all")
        h.run(line: "AUTH rw x")
        let denied = "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
        h.script([
            ("SET w1 v", ok),          // overwrite only: write access is enough
            ("SET w1 v GET", denied),   // GET reads the old value
            ("GET w1", denied),
            ("SET r1 v", denied),
            ("GET r1", "$-1\r\n"),
            ("EXISTS r1", ":0\r\n"),        // no access to the value: any pattern that matches will do
            ("EXISTS w1", ":1\r\n"),
            ("EXISTS other", denied),
            ("COPY r1 w2", ":0\r\n"),
            ("COPY w2 r1", denied),
            ("LMPOP 1 r1 LEFT", denied),   // pops: read and write
            ("ZUNIONSTORE w9 2 r1 r2", ":0\r\n"),
            ("ZUNIONSTORE w9 2 r1 w2", denied),
        ])
    }

    @Test("selectors: any one that allows the command lets it run")
    func selectors() {
        let h = EngineHarness()
        h.run(line: "ACL SETUSER sel on nopass ~a* +set (~b* +get) (%R~c* +@read)")
        h.run(line: "AUTH sel x")
        h.script([
            ("SET a1 v", ok),
            ("DEL a1", "-NOPERM this user has no permissions to run the 'del' command\r\n"),
            ("GET b1", "$-1\r\n"),
            ("STRLEN c1", ":0\r\n"),
            // No selector allows it: the key denial (the most relevant) is the one reported.
            ("SET b1 v", "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"),
            ("GET a1", "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"),
        ])
    }

    @Test("rules are described back as ACL LIST prints them")
    func descriptions() {
        let h = EngineHarness()
        h.script([
            ("ACL SETUSER d1 on nopass +@all -@dangerous ~* &*", ok),
            ("ACL SETUSER d2 -@all +@string -incr +select|0 ~x %R~y", ok),
            ("ACL SETUSER d3 reset +config|get (+get ~z)", ok),
        ])
        let list = h.value("ACL", "LIST").array.map(\.string)
        #expect(list == [
            "user d1 on nopass ~* &* +@all -@dangerous",
            "user d2 off ~x %R~y resetchannels -@all +@string +select|0 -incr",
            "user d3 off sanitize-payload resetchannels -@all +config|get (~z resetchannels -@all +get)",
            "user default on nopass ~* &* +@all",
        ])
    }

    @Test("a failing rule leaves the user as it was")
    func atomicSetuser() {
        let h = EngineHarness()
        h.script([
            ("ACL SETUSER a on >pw ~k", ok),
            ("ACL SETUSER a off +nosuch", "-ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL\r\n"),
            ("ACL SETUSER a (+get", "-ERR Unmatched parenthesis in acl selector starting at '(+get'.\r\n"),
            ("AUTH a pw", ok),
        ])
    }

    @Test("a wrong password and a missing user fail alike, and both are logged")
    func failedLogins() {
        let h = EngineHarness()
        h.run(line: "ACL SETUSER real on >right")
        let wrong = "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        h.script([("AUTH real wrong", wrong), ("AUTH ghost right", wrong), ("AUTH ghost right", wrong)])
        let entries = h.value("ACL", "LOG").array
        #expect(entries.count == 2)
        let newest = entries[0].array
        #expect(newest[1].integer == 2)      // the same event twice within a minute: one entry, counted
        #expect(newest[3].string == "auth")
        #expect(newest[7].string == "AUTH")
        #expect(newest[9].string == "ghost")
        h.run("ACL", "SETUSER", "real", "off")
        #expect(h.run("AUTH", "real", "right") == wrong)  // disabled
        #expect(h.run("ACL", "LOG", "RESET") == ok)
        #expect(h.run("ACL", "LOG") == "*0\r\n")
    }

    @Test("denied commands are logged with their object and context")
    func deniedCommandsLogged() {
        let h = EngineHarness()
        h.run(line: "ACL SETUSER u on nopass ~allowed +get +multi +exec")
        let other = h.connect()
        other.run("AUTH", "u", "x")
        other.run("GET", "secret")
        other.run("MULTI")
        other.run("SET", "allowed", "v")
        other.run("EXEC")
        let entries = h.value("ACL", "LOG").array
        #expect(entries.count == 2)
        #expect(entries.map { $0.array[3].string } == ["command", "key"])
        #expect(entries.map { $0.array[5].string } == ["multi", "toplevel"])
        #expect(entries.map { $0.array[7].string } == ["set", "secret"])
    }

    @Test("rules changed after MULTI are applied at EXEC")
    func execRechecks() {
        let h = EngineHarness()
        h.run(line: "ACL SETUSER t on nopass ~* +@all")
        let other = h.connect()
        other.run("AUTH", "t", "x")
        other.run("MULTI")
        other.run("SET", "k", "v")
        other.run("GET", "k")
        h.run(line: "ACL SETUSER t -set")
        #expect(other.run("EXEC") == "*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n$-1\r\n")
    }

    @Test("deleting a user closes its clients; the default user cannot be deleted")
    func deluser() {
        let h = EngineHarness()
        h.run(line: "ACL SETUSER gone on nopass +@all ~*")
        let other = h.connect()
        other.run("AUTH", "gone", "x")
        #expect(h.run("ACL", "DELUSER", "gone", "never") == ":1\r\n")
        #expect(other.session.killRequested)
        #expect(other.session.user === h.engine.acl.defaultUser)
        #expect(h.run("ACL", "DELUSER", "default") == "-ERR The 'default' user cannot be removed\r\n")
        // Deleting yourself: the reply is sent, then the connection closes.
        h.run(line: "ACL SETUSER me on nopass +@all ~*")
        h.run("AUTH", "me", "x")
        #expect(h.run("ACL", "DELUSER", "me") == ":1\r\n")
        #expect(h.session.closeAfterReply)
    }

    @Test("requirepass is the default user's password; a disabled default user needs AUTH too")
    func requirepass() {
        let h = EngineHarness()
        h.run("CONFIG", "SET", "requirepass", "secret")
        let fresh = h.connect()
        #expect(fresh.run("GET", "k") == "-NOAUTH Authentication required.\r\n")
        #expect(fresh.run("AUTH", "secret") == ok)
        #expect(fresh.run("GET", "k") == "$-1\r\n")
        h.run("CONFIG", "SET", "requirepass", "")
        #expect(h.connect().run("GET", "k") == "$-1\r\n")
        h.run(line: "ACL SETUSER default off")
        #expect(h.connect().run("GET", "k") == "-NOAUTH Authentication required.\r\n")
    }

    @Test("ACL DRYRUN answers without running the command")
    func dryrun() {
        let h = EngineHarness()
        h.run(line: "ACL SETUSER dr on nopass ~k* &ch* +get +publish")
        h.script([
            ("ACL DRYRUN dr GET k1", ok),
            ("ACL DRYRUN dr GET x1", bulk("This user has no permissions to access the 'x1' key")),
            ("ACL DRYRUN dr SET k1 v", bulk("This user has no permissions to run the 'set' command")),
            ("ACL DRYRUN dr PUBLISH other m", bulk("This user has no permissions to access the 'other' channel")),
            ("ACL DRYRUN dr GET", "-ERR wrong number of arguments for 'get' command\r\n"),
            ("ACL DRYRUN nobody GET k", "-ERR User 'nobody' not found\r\n"),
            ("GET k1", "$-1\r\n"),
        ])
    }

    @Test("COMMAND GETKEYS and GETKEYSANDFLAGS follow the key specs")
    func getkeys() {
        let h = EngineHarness()
        h.script([
            ("COMMAND GETKEYS SET k v", "*1\r\n$1\r\nk\r\n"),
            ("COMMAND GETKEYSANDFLAGS SET k v", "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n"),
            ("COMMAND GETKEYSANDFLAGS SET k v GET", "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"),
            ("COMMAND GETKEYS ZUNIONSTORE d 2 a b WEIGHTS 1 2", "*3\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n"),
            ("COMMAND GETKEYS ZUNIONSTORE d 5 a b", "-ERR Invalid arguments specified for command\r\n"),
            ("COMMAND GETKEYS BLMPOP 0 2 a b LEFT", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            ("COMMAND GETKEYS MSET a 1 b 2", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            ("COMMAND GETKEYS PING x", "-ERR The command has no key arguments\r\n"),
            ("COMMAND GETKEYS GET a b", "-ERR Invalid number of arguments specified for command\r\n"),
            ("COMMAND GETKEYS GET", "-ERR wrong number of arguments for 'command|getkeys' command\r\n"),
            ("COMMAND GETKEYS NOSUCH x", "-ERR Invalid command specified\r\n"),
        ])
    }
}

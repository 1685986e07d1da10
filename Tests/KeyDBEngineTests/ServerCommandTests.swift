import KeyDBEngine
import Testing

/// CONFIG, COMMAND and INFO; replies as redis-server 7.0.15 gives them.
@Suite("server commands")
struct ServerCommandTests {
    private func configGet(_ h: EngineHarness, _ name: String) -> String {
        "*2\r\n" + bulk(name) + bulk(h.value("CONFIG", "GET", name).array.last?.string ?? "?")
    }

    @Test("CONFIG GET / SET round trips")
    func configRoundTrips() {
        let h = EngineHarness()
        h.script([
            ("CONFIG GET hz", "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"),
            ("CONFIG SET hz 20", ok), ("CONFIG GET hz", "*2\r\n$2\r\nhz\r\n$2\r\n20\r\n"),
            ("CONFIG GET HZ", "*2\r\n$2\r\nHZ\r\n$2\r\n20\r\n"),
            ("CONFIG SET hz 10", ok),
            ("CONFIG GET maxmemory-policy", "*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"),
            ("CONFIG SET maxmemory-policy allkeys-lru", ok),
            ("CONFIG GET maxmemory-policy", "*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n"),
            ("CONFIG GET loglevel", "*2\r\n$8\r\nloglevel\r\n$6\r\nnotice\r\n"),
            ("CONFIG SET loglevel WARNING", ok), ("CONFIG GET loglevel", "*2\r\n$8\r\nloglevel\r\n$7\r\nwarning\r\n"),
            ("CONFIG SET appendfsync ALWAYS", ok), ("CONFIG GET appendfsync", "*2\r\n$11\r\nappendfsync\r\n$6\r\nalways\r\n"),
            ("CONFIG GET proto-max-bulk-len", "*2\r\n$18\r\nproto-max-bulk-len\r\n$9\r\n536870912\r\n"),
            ("CONFIG SET proto-max-bulk-len 1mb", ok),
            ("CONFIG GET proto-max-bulk-len", "*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n"),
            ("CONFIG GET maxmemory", "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"),
            ("CONFIG SET maxmemory 0", ok),
            ("CONFIG GET appendonly", "*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n"),
            ("CONFIG GET databases", "*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n"),
            ("CONFIG GET save", "*2\r\n$4\r\nsave\r\n$23\r\n3600 1 300 100 60 10000\r\n"),
            ("CONFIG SET save \"900 1 300\"", "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters\r\n"),
            ("CONFIG SET save \"\"", ok), ("CONFIG GET save", "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"),
            ("CONFIG GET requirepass", "*2\r\n$11\r\nrequirepass\r\n$0\r\n\r\n"),
            ("CONFIG GET io-threads", "*2\r\n$10\r\nio-threads\r\n$1\r\n1\r\n"),
            ("CONFIG GET busy-poll", "*2\r\n$9\r\nbusy-poll\r\n$2\r\n50\r\n"),
            ("CONFIG SET busy-poll 0", ok), ("CONFIG GET busy-poll", "*2\r\n$9\r\nbusy-poll\r\n$1\r\n0\r\n"),
            ("CONFIG GET nosuch", "*0\r\n"),
            ("CONFIG GET h?", "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"),
            ("CONFIG GET *policy*", "*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n"),
            ("CONFIG GET hz hz", "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"),
        ])
        #expect(h.engine.configuration.hz == 10)
        #expect(h.engine.configuration.protoMaxBulkLength == 1_048_576)
        #expect(h.engine.configuration.maxMemoryPolicy == "allkeys-lru")
        // Several names: every pair, in some order (Redis answers in its dict's order).
        let pairs = h.value("CONFIG", "GET", "hz", "nosuch", "loglevel").array.compactMap(\.string)
        #expect(pairs.count == 4)
        #expect(Set([pairs[0] + "=" + pairs[1], pairs[2] + "=" + pairs[3]]) == ["hz=10", "loglevel=warning"])
    }

    @Test("CONFIG SET errors")
    func configSetErrors() {
        let h = EngineHarness()
        let failed = "-ERR CONFIG SET failed (possibly related to argument "
        h.script([
            ("CONFIG SET hz abc", failed + "'hz') - argument couldn't be parsed into an integer\r\n"),
            ("CONFIG SET HZ abc", failed + "'hz') - argument couldn't be parsed into an integer\r\n"),
            ("CONFIG SET hz 1.5", failed + "'hz') - argument couldn't be parsed into an integer\r\n"),
            ("CONFIG SET maxmemory-policy foo", failed + "'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\r\n"),
            ("CONFIG SET foo bar", "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"),
            ("CONFIG SET FOO bar", "-ERR Unknown option or number of arguments for CONFIG SET - 'FOO'\r\n"),
            ("CONFIG SET hz 10 hz 11", failed + "'hz') - duplicate parameter\r\n"),
            ("CONFIG SET databases 4", failed + "'databases') - can't set immutable config\r\n"),
            ("CONFIG SET DATABASES 4", failed + "'DATABASES') - can't set immutable config\r\n"),
            ("CONFIG SET io-threads 2", failed + "'io-threads') - can't set immutable config\r\n"),
            ("CONFIG SET busy-poll 1001", failed + "'busy-poll') - argument must be between 0 and 1000 inclusive\r\n"),
            ("CONFIG SET busy-poll -1", failed + "'busy-poll') - argument must be between 0 and 1000 inclusive\r\n"),
            ("CONFIG SET dbfilename x.rdb", failed + "'dbfilename') - can't set protected config\r\n"),
            ("CONFIG SET dir /tmp", failed + "'dir') - can't set protected config\r\n"),
            ("CONFIG SET appenddirname x", failed + "'appenddirname') - can't set immutable config\r\n"),
            ("CONFIG SET hz", "-ERR wrong number of arguments for 'config|set' command\r\n"),
            ("CONFIG SET hz 10 foo", syntaxError),
            ("CONFIG SET proto-max-bulk-len 1000", failed + "'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive\r\n"),
            ("CONFIG SET maxmemory abc", failed + "'maxmemory') - argument must be a memory value\r\n"),
            ("CONFIG SET appendonly maybe", failed + "'appendonly') - argument must be 'yes' or 'no'\r\n"),
            // All or nothing: hz is not changed when loglevel fails.
            ("CONFIG SET hz 15 maxmemory-policy foo", failed + "'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\r\n"),
            ("CONFIG GET hz", "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"),
            ("CONFIG GET", "-ERR wrong number of arguments for 'config|get' command\r\n"),
        ])
    }

    /// Redis 7.0's loglevel has no "nothing" (that came in 7.2), and its
    /// appendfsync choices are listed as "everysec, always, no".
    @Test("CONFIG SET choice lists are Redis 7.0's")
    func configChoiceLists() {
        let h = EngineHarness()
        let failed = "-ERR CONFIG SET failed (possibly related to argument "
        h.script([
            ("CONFIG SET loglevel nothing", failed + "'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning\r\n"),
            ("CONFIG SET appendfsync foo", failed + "'appendfsync') - argument(s) must be one of the following: everysec, always, no\r\n"),
        ])
    }

    /// hz accepts 0...INT_MAX and is clamped to 1...500 (server.c's updateHZ).
    @Test("CONFIG SET hz clamps to 1...500 like Redis")
    func hzClamp() {
        let h = EngineHarness()
        let failed = "-ERR CONFIG SET failed (possibly related to argument "
        h.script([
            ("CONFIG SET hz 0", ok), ("CONFIG GET hz", "*2\r\n$2\r\nhz\r\n$1\r\n1\r\n"),
            ("CONFIG SET hz 501", ok), ("CONFIG GET hz", "*2\r\n$2\r\nhz\r\n$3\r\n500\r\n"),
            ("CONFIG SET hz -1", failed + "'hz') - argument must be between 0 and 2147483647 inclusive\r\n"),
            ("CONFIG SET hz 99999999999", failed + "'hz') - argument must be between 0 and 2147483647 inclusive\r\n"),
        ])
    }

    @Test("CONFIG SET requirepass takes effect for new connections")
    func requirepassAtRuntime() {
        let h = EngineHarness()
        #expect(h.run("CONFIG", "SET", "requirepass", "pw") == ok)
        #expect(h.run("GET", "a") == nullBulk)  // this connection was already in
        let other = h.connect()
        #expect(other.run("GET", "a") == "-NOAUTH Authentication required.\r\n")
        #expect(other.run("AUTH", "pw") == ok)
        #expect(h.run("CONFIG", "SET", "requirepass", "") == ok)
        #expect(h.connect().run("GET", "a") == nullBulk)
    }

    @Test("COMMAND INFO GET: the 10-element Redis 7 shape, byte for byte")
    func commandInfoGet() {
        let h = EngineHarness()
        let get = "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
        #expect(h.run("COMMAND", "INFO", "get") == "*1\r\n" + get)
        #expect(h.run("COMMAND", "INFO", "GET", "nosuch") == "*2\r\n" + get + "$-1\r\n")
        #expect(h.run("COMMAND", "INFO", "config|get") == "*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n")
        // Tips are bulk strings, in Redis's order.
        #expect(h.run("COMMAND", "INFO", "dbsize") == "*1\r\n*10\r\n$6\r\ndbsize\r\n:1\r\n*2\r\n+readonly\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@keyspace\r\n+@read\r\n+@fast\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$23\r\nresponse_policy:agg_sum\r\n*0\r\n*0\r\n")
    }

    @Test("COMMAND INFO: the structure of every entry")
    func commandInfoShape() {
        let h = EngineHarness()
        let get = h.value("COMMAND", "INFO", "get").array
        #expect(get.count == 1)
        let entry = get[0].array
        #expect(entry.count == 10)
        #expect(entry[0] == .bulk(Array("get".utf8)))
        #expect(entry[1] == .integer(2))
        #expect(entry[2] == .array([.simple("readonly"), .simple("fast")]))
        #expect(entry[3] == .integer(1) && entry[4] == .integer(1) && entry[5] == .integer(1))
        #expect(Set(entry[6].array.compactMap(\.string)) == ["@read", "@string", "@fast"])
        #expect(entry[7] == .array([]))
        #expect(entry[8].array.count == 1)
        #expect(entry[9] == .array([]))

        let all = h.value("COMMAND").array
        #expect(all.count == h.engine.commands.count)
        for command in all {
            let fields = command.array
            #expect(fields.count == 10, "\(fields.first?.string ?? "?")")
            guard fields.count == 10, let name = fields[0].string else { continue }
            let spec = h.engine.commands.find(name)
            #expect(spec != nil, "\(name) listed by COMMAND but not found")
            #expect(fields[1].integer == Int64(spec?.arity ?? 0), "\(name) arity")
            #expect(fields[9].array.count == spec?.subcommands.count, "\(name) subcommands")
            for subcommand in fields[9].array {
                #expect(subcommand.array.count == 10)
                #expect(subcommand.array.first?.string?.hasPrefix(name + "|") == true)
            }
        }
        #expect(h.value("COMMAND", "INFO", "nosuch") == .array([.bulk(nil)]))
    }

    @Test("COMMAND COUNT equals the size of the command table")
    func commandCount() {
        let h = EngineHarness()
        let count = h.engine.commands.count
        #expect(h.run("COMMAND", "COUNT") == int(Int64(count)))
        #expect(count == h.engine.commands.commands.count)
        #expect(h.value("COMMAND").array.count == count)
        #expect(h.value("COMMAND", "INFO").array.count == count)
    }

    @Test("COMMAND LIST and DOCS")
    func commandListDocs() {
        let h = EngineHarness()
        let names = h.value("COMMAND", "LIST").array.compactMap(\.string)
        #expect(names.contains("get") && names.contains("config|get"))
        #expect(names.count == h.engine.commands.allSpecs.count)
        let filtered = h.value("COMMAND", "LIST", "FILTERBY", "PATTERN", "get*").array.compactMap(\.string)
        #expect(Set(filtered) == Set(names.filter { $0.hasPrefix("get") }))
        #expect(filtered.contains("getrange") && !filtered.contains("set"))
        let docs = h.value("COMMAND", "DOCS", "get").array
        #expect(docs.count == 2)
        #expect(docs.first?.string == "get")
    }

    @Test("INFO names Redis 7.0.15 and its usual fields")
    func info() {
        let h = EngineHarness()
        h.run("SET", "a", "1")
        h.run("SET", "b", "1", "EX", "100")
        let info = h.value("INFO").string ?? ""
        #expect(info.contains("# Server\r\nredis_version:7.0.15\r\n"))
        #expect(info.contains("\r\nloading:0\r\n"))
        #expect(info.contains("\r\nrole:master\r\n"))
        #expect(info.contains("# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl="))
        #expect(info.contains("\r\nredis_mode:standalone\r\n"))
        #expect(info.contains("# Clients\r\nconnected_clients:1\r\n"))
        for section in ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Modules", "# Errorstats", "# Cluster", "# Keyspace"] {
            #expect(info.contains(section + "\r\n"), "\(section)")
        }
        #expect(!info.contains("# Commandstats"))
        // Every line is `# Section`, `field:value`, or blank between sections.
        for line in info.split(separator: "\r\n", omittingEmptySubsequences: false) where !line.isEmpty {
            #expect(line.hasPrefix("# ") || line.contains(":"), "\(line)")
        }
        #expect(info.hasSuffix("\r\n"))
    }

    @Test("INFO sections by name")
    func infoSections() {
        let h = EngineHarness()
        #expect(h.run("INFO", "a", "b", "c") == "$0\r\n\r\n")
        #expect(h.run("INFO", "keyspace") == bulk("# Keyspace\r\n"))
        h.run("SELECT", "3")
        h.run("SET", "x", "1")
        #expect(h.run("INFO", "KEYSPACE") == bulk("# Keyspace\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n"))
        #expect(h.run("INFO", "cluster") == bulk("# Cluster\r\ncluster_enabled:0\r\n"))
        let server = h.value("INFO", "server").string ?? ""
        #expect(server.hasPrefix("# Server\r\nredis_version:7.0.15\r\n"))
        #expect(!server.contains("# Keyspace"))
        let everything = h.value("INFO", "everything").string ?? ""
        #expect(everything.contains("# Commandstats\r\ncmdstat_"))
        // (Counts are not checked: every Engine shares the standard table's statistics.)
        #expect(everything.contains("\r\ncmdstat_select:calls="))
        #expect(h.value("INFO", "stats", "replication").string?.contains("\r\n\r\n# Replication\r\nrole:master\r\n") == true)
    }
}

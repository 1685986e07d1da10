@testable import KeyDBEngine
import Testing

/// Redis 7.0 settings for machinery SwiftKeyDB lacks: kept and checked as Redis
/// checks them, refused where they would turn that machinery on.
/// (Tests/Python/test_redis_conf.py compares them with redis-server side by side.)
@Suite struct RedisSettingsTests {
    private func set(_ name: String, _ words: String...) throws(ConfigError) -> Configuration {
        var configuration = Configuration()
        try Configuration.option(named: name)!.set(&configuration, words)
        return configuration
    }

    private func get(_ configuration: Configuration, _ name: String) -> String {
        Configuration.option(named: name)!.get(configuration)
    }

    @Test func keptSettingsShowDefaultsAndShareTheirAliases() throws {
        let defaults = Configuration()
        #expect(get(defaults, "repl-backlog-size") == "1048576")
        #expect(get(defaults, "proc-title-template") == "{title} {listen-addr} {server-mode}")
        #expect(get(defaults, "unixsocketperm") == "0")
        #expect(get(defaults, "oom-score-adj-values") == "0 200 800")
        let changed = try set("slave-read-only", "no")
        #expect(get(changed, "replica-read-only") == "no" && get(changed, "slave-read-only") == "no")
        #expect(get(try set("unixsocketperm", "770"), "unixsocketperm") == "770")
        #expect(get(try set("oom-score-adj", "relative"), "oom-score-adj") == "yes")
        #expect(ConfigRewrite.aliases["slave-priority"] == "replica-priority")
        #expect(ConfigRewrite.aliases["slaveof"] == "replicaof")
        #expect(ConfigRewrite.aliases["hash-max-ziplist-entries"] == "hash-max-listpack-entries")
        #expect(ConfigRewrite.aliases["replica-priority"] == nil)
    }

    @Test func valuesThatNeedAbsentMachineryAreRefused() throws {
        #expect(throws: ConfigError("SwiftKeyDB has no TLS support")) { try set("tls-port", "6380") }
        #expect(throws: ConfigError("SwiftKeyDB has no cluster mode")) { try set("cluster-enabled", "yes") }
        #expect(throws: ConfigError("wrong number of arguments")) { try set("slaveof", "no") }
        // Their off values load, as a stock redis.conf sets them.
        _ = try set("tls-port", "0")
        _ = try set("cluster-enabled", "no")
        #expect(throws: ConfigError("argument must be between 1 and 99 inclusive")) { try set("active-defrag-cycle-max", "0") }
        #expect(throws: ConfigError("argument must be between 0 and 777 inclusive")) { try set("unixsocketperm", "1000") }
        #expect(throws: ConfigError("argument couldn't be parsed as an octal number")) { try set("unixsocketperm", "9") }
        #expect(throws: ConfigError("argument must be a memory or percent value")) { try set("maxmemory-clients", "lots") }
        #expect(throws: ConfigError("SwiftKeyDB does not evict clients")) { try set("maxmemory-clients", "10%") }
        #expect(throws: ConfigError("percentage argument must be less or equal to 100")) { try set("maxmemory-clients", "101%") }
        #expect(get(try set("maxmemory-clients", "0%"), "maxmemory-clients") == "0")
        #expect(throws: ConfigError("argument(s) must be one of the following: no, yes, optional")) { try set("tls-auth-clients", "x") }
        #expect(get(Configuration(), "tls-auth-clients") == "yes" && get(Configuration(), "syslog-facility") == "local0")
    }

    @Test func shutdownOnSignalTakesShutdownsOptions() throws {
        #expect(get(try set("shutdown-on-sigint", "NOW", "save"), "shutdown-on-sigint") == "save now")
        #expect(try set("shutdown-on-sigterm", "nosave", "force").shutdownOnSigterm == {
            var options = ShutdownOptions()
            options.save = false
            options.force = true
            return options
        }())
        #expect(get(try set("shutdown-on-sigterm", "default"), "shutdown-on-sigterm") == "default")
        #expect(throws: ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously")) {
            try set("shutdown-on-sigterm", "save", "nosave")
        }
        for bad in ["soon", ""] {
            #expect(throws: ConfigError("argument(s) must be one of the following: default, save, nosave, now, force")) {
                try set("shutdown-on-sigint", bad)
            }
        }
    }

    @Test func procTitleTemplatesAreCheckedAsRedisChecksThem() {
        for valid in ["x", "{{}}", "{listen-addr}", "{title} {port} {tls-port} {config-file}"] {
            #expect(Configuration.expandsToText(valid), "\(valid)")
        }
        // An empty title, server mode and socket expand to nothing.
        for invalid in ["", "{title}", "{title}{server-mode}{unixsocket}", "{nope}", "{title", "}", "a}b", "{}"] {
            #expect(!Configuration.expandsToText(invalid), "\(invalid)")
        }
    }

    @Test func replicaofNamesTheMasterToFollow() throws {
        let replica = try set("replicaof", "10.0.0.1", "6379")
        #expect(replica.replicaOf == MasterAddress(host: "10.0.0.1", port: 6379))
        #expect(get(replica, "replicaof") == "10.0.0.1 6379" && get(replica, "slaveof") == "10.0.0.1 6379")
        #expect(try set("slaveof", "NO", "ONE").replicaOf == nil)
        for port in ["70000", "-1", "6379x", ""] {
            #expect(throws: ConfigError("Invalid master port")) { try set("replicaof", "10.0.0.1", port) }
        }
        let text = ConfigRewrite.rewrite("replicaof no one\nport 6379\n", configuration: replica, directory: "/data", users: [])
        #expect(text.contains("replicaof 10.0.0.1 6379\n") && !text.contains("no one"))
    }

    @Test func rewriteWritesTheNewNameAndDropsReplicaofNoOne() throws {
        var configuration = try set("slave-priority", "5")
        try Configuration.option(named: "replicaof")!.set(&configuration, ["no", "one"])
        let text = ConfigRewrite.rewrite("slave-priority 9\nreplicaof no one\nport 6379\n", configuration: configuration,
                                         directory: "/data", users: [])
        #expect(text.hasPrefix("replica-priority 5\n"), "the alias's line, under the new name")
        #expect(!text.contains("priority 9"))
        #expect(!text.contains("replicaof"))
    }

    @Test func minReplicasToWriteRefusesWrites() {
        let h = EngineHarness()
        #expect(h.run("CONFIG", "SET", "min-replicas-to-write", "2") == ok)
        #expect(h.run("SET", "k", "v") == "-NOREPLICAS Not enough good replicas to write.\r\n")
        #expect(h.run("GET", "k") == "$-1\r\n")
        #expect(h.run("CONFIG", "SET", "min-replicas-max-lag", "0") == ok)
        #expect(h.run("SET", "k", "v") == ok, "a lag of 0 turns the check off, as in Redis")
    }
}

import KeyDBRESP

/// MODULE as a Redis with no module loaded answers it (Redis's module.c).
/// SwiftKeyDB cannot load Redis modules (they are C libraries written against
/// Redis's own server API), so LOAD and LOADEX fail as a module that does not
/// load fails in Redis: the error, and the reason in the server's log.
enum ModuleCommands {
    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "MODULE", lines: [
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
        ])
    }

    static func list(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeArrayHeader(0)
    }

    /// MODULE LOAD / LOADEX path ...
    static func load(_ c: ClientSession, _ args: Arguments) {
        let path = String(decoding: args[2], as: UTF8.self)
        c.engine.logWarning?("Module \(path) failed to load: SwiftKeyDB does not load Redis modules")
        c.replyError(ErrorReply.moduleLoadFailed)
    }

    static func unload(_ c: ClientSession, _ args: Arguments) {
        c.replyError(ErrorReply.noSuchModule)
    }
}

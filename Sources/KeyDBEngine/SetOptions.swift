import KeyDBRESP

/// A TTL as given to SET, GETEX, SETEX, EXPIRE...: an amount, its unit, and
/// whether it is a point in time (EXAT/PXAT) or a duration (EX/PX).
struct Expiry {
    enum Unit { case seconds, milliseconds }
    var amount: Int64
    var unit: Unit
    var isAbsolute: Bool

    /// The expiry as Unix milliseconds, or nil when Redis calls it invalid
    /// (not positive, or overflowing) — SET/GETEX's `getExpireMillisecondsOrReply`.
    func absoluteMilliseconds(now: Int64) -> Int64? {
        guard amount > 0 else { return nil }
        var milliseconds = amount
        if unit == .seconds {
            guard amount <= Int64.max / 1000 else { return nil }
            milliseconds *= 1000
        }
        if !isAbsolute {
            milliseconds = milliseconds &+ now
        }
        return milliseconds > 0 ? milliseconds : nil
    }
}

/// The options of SET and GETEX, parsed as Redis's `parseExtendedStringArgumentsOrReply`.
struct SetOptions {
    enum Condition { case always, ifAbsent, ifPresent }
    enum Command { case set, getex }

    var condition = Condition.always
    var get = false
    var keepTTL = false
    var persist = false
    var expiry: Expiry? = nil

    /// Parses options from argument `start`; replies a syntax error and returns nil on a bad one.
    static func parse(_ args: Arguments, from start: Int, for command: Command, _ c: ClientSession) -> SetOptions? {
        var options = SetOptions()
        var amountIndex: Int? = nil
        var index = start
        while index < args.count {
            let hasNext = index + 1 < args.count
            let isSet = command == .set
            if isSet && args.matches(index, "nx") && options.condition != .ifPresent {
                options.condition = .ifAbsent
            } else if isSet && args.matches(index, "xx") && options.condition != .ifAbsent {
                options.condition = .ifPresent
            } else if isSet && args.matches(index, "get") {
                options.get = true
            } else if isSet && args.matches(index, "keepttl") && !options.persist && options.expiry == nil {
                options.keepTTL = true
            } else if !isSet && args.matches(index, "persist") && options.expiry == nil && !options.keepTTL {
                options.persist = true
            } else if hasNext, !options.keepTTL, !options.persist, let word = parseExpiryWord(args, index, current: options.expiry) {
                // The amount is read once all options parse (Redis's order of errors).
                options.expiry = Expiry(amount: 0, unit: word.unit, isAbsolute: word.isAbsolute)
                amountIndex = index + 1
                index += 1
            } else {
                c.replyError(ErrorReply.syntax)
                return nil
            }
            index += 1
        }
        options.amountIndex = amountIndex
        return options
    }

    /// Where the EX/PX/EXAT/PXAT amount is; read by `resolveExpiry`.
    private var amountIndex: Int? = nil

    /// The expiry as Unix ms (`.some(nil)` when none was given), or nil after
    /// replying the error Redis gives for a bad amount.
    func resolveExpiry(_ args: Arguments, now: Int64, _ c: ClientSession) -> Int64?? {
        guard var expiry, let amountIndex else { return .some(nil) }
        guard let amount = args.int64(amountIndex) else {
            c.replyError(ErrorReply.notInteger)
            return nil
        }
        expiry.amount = amount
        guard let at = expiry.absoluteMilliseconds(now: now) else {
            c.replyError(ErrorReply.invalidExpireTime(c.lastCommand))
            return nil
        }
        return .some(at)
    }

    /// EX, PX, EXAT or PXAT — allowed only when no other expiry was given (or the same one again).
    private static func parseExpiryWord(_ args: Arguments, _ index: Int, current: Expiry?) -> (unit: Expiry.Unit, isAbsolute: Bool)? {
        let word: (Expiry.Unit, Bool)
        if args.matches(index, "ex") {
            word = (.seconds, false)
        } else if args.matches(index, "px") {
            word = (.milliseconds, false)
        } else if args.matches(index, "exat") {
            word = (.seconds, true)
        } else if args.matches(index, "pxat") {
            word = (.milliseconds, true)
        } else {
            return nil
        }
        if let current, current.unit != word.0 || current.isAbsolute != word.1 { return nil }
        return word
    }
}

extension SetOptions {
    /// SETEX / PSETEX: a duration given at argument `amountIndex`.
    init(relativeExpiry unit: Expiry.Unit, amountIndex: Int) {
        self.init()
        self.expiry = Expiry(amount: 0, unit: unit, isAbsolute: false)
        self.amountIndex = amountIndex
    }
}

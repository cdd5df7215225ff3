import CHiredis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking hiredis connection: the sole owner of its `redisContext`.
///
/// Deliberately not `Sendable`: it is created, used and freed on a single
/// ``RedisWorker`` thread, because hiredis contexts are not thread-safe and their
/// calls block. Replies are copied into ``RedisValue`` before `freeReplyObject`,
/// so no C pointer outlives a call.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    private let address: String
    private let commandTimeout: Duration
    /// Set after an I/O, timeout or protocol failure: hiredis leaves the context
    /// unusable (a late reply could otherwise be read as the next command's), so the
    /// worker drops this connection and reconnects on the next job.
    private(set) var isBroken = false

    /// Connects, applies the command timeout and TCP keep-alive, then sends `AUTH`
    /// and `SELECT` when configured.
    init(configuration: RedisConfiguration) throws(RedisError) {
        let address = configuration.address
        guard let context = redisConnectWithTimeout(
            configuration.host, Int32(clamping: configuration.port), configuration.connectTimeout.redisTimeval
        ) else {
            throw RedisError(.connectionFailed, "cannot allocate a connection", address: address)
        }
        if context.pointee.err != 0 {
            let savedErrno = errno
            let text = Self.errorText(context)
            redisFree(context)
            if savedErrno == ETIMEDOUT || text.contains("timed out") {
                throw RedisError(.timeout, "connect timed out after \(configuration.connectTimeout.redisMilliseconds) ms",
                                 address: address)
            }
            throw RedisError(.connectionFailed, text, address: address)
        }
        self.context = context
        self.address = address
        self.commandTimeout = configuration.commandTimeout
        guard redisSetTimeout(context, configuration.commandTimeout.redisTimeval) == REDIS_OK else {
            throw RedisError(.connectionFailed, "cannot set command timeout: \(Self.errorText(context))", address: address)
        }
        // Keep-alive lets an idle connection to a vanished host fail instead of lingering.
        _ = redisEnableKeepAlive(context)
        try handshake(configuration)
    }

    deinit {
        redisFree(context)
    }

    /// Whether the server has not closed the socket while it sat idle in the pool.
    ///
    /// A non-blocking `MSG_PEEK` costs one syscall and lets the worker replace a
    /// connection dropped by a server restart, `CLIENT KILL` or an idle `timeout`
    /// before sending, instead of failing the next command with "connection lost".
    /// Unsolicited bytes also count as dead: they would desynchronise replies.
    var isReusable: Bool {
        if isBroken { return false }
        var byte: UInt8 = 0
        let received = recv(context.pointee.fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        if received < 0 {
            let code = errno
            return code == EAGAIN || code == EWOULDBLOCK || code == EINTR
        }
        return false // 0: orderly close by the server; > 0: data nobody asked for
    }

    /// Sends one command and waits for its reply. Error replies come back as
    /// ``RedisValue/error(_:)``; only transport failures throw.
    func command(_ arguments: [RedisArgument]) throws(RedisError) -> RedisValue {
        let name = try Self.commandName(arguments, address: address)
        let raw = Self.withArgv(arguments) { argc, argv, lengths in
            redisCommandArgv(context, argc, argv, lengths)
        }
        guard let raw else { throw transportError(during: name) }
        return try take(raw, during: name)
    }

    /// Writes all commands in one go, then reads one reply per command, so the batch
    /// costs a single round trip. Error replies are returned in place.
    func pipeline(_ commands: [[RedisArgument]]) throws(RedisError) -> [RedisValue] {
        // Validate everything before appending: a half-appended batch left in
        // hiredis' output buffer would be sent with the next command and shift
        // every later reply by one.
        let names = try commands.map { (arguments) throws(RedisError) in
            try Self.commandName(arguments, address: address)
        }
        for (arguments, name) in zip(commands, names) {
            let status = Self.withArgv(arguments) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            // Appending only fills hiredis' output buffer; it fails only on OOM.
            guard status == REDIS_OK else { throw transportError(during: name) }
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for name in names {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw transportError(during: name) }
            replies.append(try take(raw, during: name))
        }
        return replies
    }

    // MARK: - Internals

    private func handshake(_ configuration: RedisConfiguration) throws(RedisError) {
        if let password = configuration.password {
            var auth: [RedisArgument] = ["AUTH"]
            if let username = configuration.username { auth.append(RedisArgument(username)) }
            auth.append(RedisArgument(password))
            if case .error(let message) = try command(auth) {
                throw RedisError(.server, "\(message) (during AUTH)", address: address)
            }
        }
        if configuration.database != 0 {
            if case .error(let message) = try command(["SELECT", RedisArgument(configuration.database)]) {
                throw RedisError(.server, "\(message) (during SELECT \(configuration.database))", address: address)
            }
        }
    }

    /// Copies a reply into Swift values and frees it; the pointer never escapes.
    private func take(_ raw: UnsafeMutableRawPointer, during name: String) throws(RedisError) -> RedisValue {
        defer { freeReplyObject(raw) }
        guard let value = Self.copy(raw.assumingMemoryBound(to: redisReply.self)) else {
            isBroken = true
            throw RedisError(.protocolError, "\(name): unexpected reply type", address: address)
        }
        return value
    }

    private static func copy(_ reply: UnsafePointer<redisReply>) -> RedisValue? {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(node))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(node), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(node), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(node.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(node.elements)
            for index in 0..<node.elements {
                guard let child = node.element?[index], let value = copy(child) else { return nil }
                elements.append(value)
            }
            return .array(elements)
        default:
            return nil
        }
    }

    private static func bytes(_ node: redisReply) -> [UInt8] {
        guard let start = node.str, node.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: node.len))
    }

    /// Classifies the context's error and marks the connection broken.
    /// Reads `errno` first, before anything else can overwrite it.
    private func transportError(during name: String) -> RedisError {
        let savedErrno = errno
        isBroken = true
        let text = Self.errorText(context)
        switch context.pointee.err {
        case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || savedErrno == ETIMEDOUT:
            return RedisError(.timeout, "\(name) timed out after \(commandTimeout.redisMilliseconds) ms", address: address)
        case REDIS_ERR_EOF:
            return RedisError(.connectionFailed, "\(name): connection lost (\(text))", address: address)
        case REDIS_ERR_PROTOCOL:
            return RedisError(.protocolError, "\(name): \(text)", address: address)
        default:
            return RedisError(.connectionFailed, "\(name): \(text)", address: address)
        }
    }

    /// hiredis' `errstr` ("Connection refused"), lower-cased at the start to read
    /// naturally after the address prefix.
    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        guard let first = text.first else { return "unknown error" }
        return first.lowercased() + text.dropFirst()
    }

    private static func commandName(_ arguments: [RedisArgument], address: String) throws(RedisError) -> String {
        guard let first = arguments.first else {
            throw RedisError(.protocolError, "empty command", address: address)
        }
        return first.description.uppercased()
    }

    /// Lays all arguments out in one buffer and hands hiredis pointer/length
    /// arrays into it; the pointers are valid only inside `body`.
    private static func withArgv<R>(
        _ arguments: [RedisArgument],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        var flat: [UInt8] = []
        flat.reserveCapacity(arguments.reduce(1) { $0 + $1.bytes.count })
        var offsets: [Int] = []
        var lengths: [Int] = []
        for argument in arguments {
            offsets.append(flat.count)
            lengths.append(argument.bytes.count)
            flat.append(contentsOf: argument.bytes)
        }
        flat.append(0) // never empty, so empty arguments still get a valid pointer
        return flat.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return argv.withUnsafeMutableBufferPointer { argvBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    body(Int32(arguments.count), argvBuffer.baseAddress!, lengthBuffer.baseAddress!)
                }
            }
        }
    }
}

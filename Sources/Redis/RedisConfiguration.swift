import Foundation

/// Settings for a ``RedisClient``.
///
/// Defaults target a local development server: `127.0.0.1:6379`, database 0,
/// no authentication, 4 pooled connections, a 1 s connect timeout, a 500 ms
/// command timeout and at most 10,000 commands waiting for a free connection.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or IP address of the server. Default `"127.0.0.1"`.
    public var host: String = "127.0.0.1"
    /// TCP port of the server. Default `6379`.
    public var port: Int = 6379
    /// ACL user name sent with `AUTH` (Redis 6+). Default `nil`: `AUTH password` only.
    public var username: String?
    /// Password sent with `AUTH` on every new connection. Default `nil`: no `AUTH`.
    public var password: String?
    /// Database selected with `SELECT` on every new connection. Default `0` (no `SELECT`).
    public var database: Int = 0
    /// Number of connections, each owned by its own worker thread. Default `4`, minimum 1.
    public var poolSize: Int = 4
    /// Upper bound for establishing the TCP connection. Default 1 s.
    public var connectTimeout: Duration = .seconds(1)
    /// Upper bound for each socket read or write of a command. Default 500 ms.
    ///
    /// hiredis applies it per socket operation (`SO_RCVTIMEO`/`SO_SNDTIMEO`), so a
    /// reply that keeps trickling in can take longer in total. Non-positive values
    /// are raised to 1 ms because hiredis treats zero as "wait forever".
    public var commandTimeout: Duration = .milliseconds(500)
    /// Commands allowed to wait for a free connection before new ones fail fast
    /// with ``RedisError/Code/overloaded``. Default `10_000`.
    public var maxPendingCommands: Int = 10_000

    /// Creates a configuration; every parameter has the documented default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        poolSize: Int = 4,
        connectTimeout: Duration = .seconds(1),
        commandTimeout: Duration = .milliseconds(500),
        maxPendingCommands: Int = 10_000
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.maxPendingCommands = maxPendingCommands
    }

    /// Parses `redis://[[user]:password@]host[:port][/database]`, keeping the
    /// defaults for everything the URL leaves out. Returns `nil` for another scheme
    /// or a malformed URL.
    public init?(url: String) {
        guard let components = URLComponents(string: url),
              components.scheme == "redis",
              let host = components.host, !host.isEmpty
        else { return nil }
        self.init(host: host)
        if let port = components.port { self.port = port }
        if let user = components.user, !user.isEmpty { username = user }
        if let password = components.password, !password.isEmpty { self.password = password }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !path.isEmpty {
            guard let database = Int(path), database >= 0 else { return nil }
            self.database = database
        }
    }

    /// `host:port`, as used in error messages and log metadata.
    public var address: String { "\(host):\(port)" }
}

extension Duration {
    /// Whole milliseconds, for human-readable messages.
    var redisMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The `timeval` hiredis expects; never zero, because zero disables the timeout.
    var redisTimeval: timeval {
        let (seconds, attoseconds) = components
        var micros = attoseconds / 1_000_000_000_000
        var secs = seconds
        if secs < 0 || (secs == 0 && micros < 1000) { secs = 0; micros = 1000 }
        return timeval(tv_sec: .init(secs), tv_usec: .init(micros))
    }
}

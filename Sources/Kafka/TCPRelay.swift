#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Synchronization

/// A small TCP relay from a fixed loopback port to the mock cluster's bootstrap broker.
///
/// Clients only bootstrap through it: the brokers advertise their own loopback addresses in
/// metadata, so data traffic goes to them directly. That is what makes the conventional
/// `127.0.0.1:9092` usable for a mock whose ports are chosen at random.
public final class TCPRelay: Sendable {
    private let listener: Int32
    private let target: (host: String, port: UInt16)
    private let logger: Logger
    private let stopped = Atomic<Bool>(false)
    public let port: UInt16

    /// Binds `host:port` (port 0 picks a free one) and relays to `targetHost:targetPort`.
    public init(host: String = "127.0.0.1", port: UInt16, targetHost: String, targetPort: UInt16, logger: Logger) throws(KafkaError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw KafkaError(.configuration, "relay: socket() failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = try Self.address(host: host, port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw KafkaError(.configuration, "relay: cannot listen on \(host):\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = UInt16(bigEndian: actual.sin_port)
        self.listener = fd
        self.target = (targetHost, targetPort)
        self.logger = logger
    }

    static func address(host: String, port: UInt16) throws(KafkaError) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw KafkaError(.configuration, "relay: '\(host)' is not an IPv4 address")
        }
        return address
    }

    /// Accepts connections on a thread of its own until `stop()`.
    public func start() {
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "kafka-relay-accept"
        thread.start()
    }

    /// Closes the listening socket; open relayed connections end with their peers.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if stopped.load(ordering: .acquiring) { return }
                continue
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard upstream >= 0, var address = try? Self.address(host: target.host, port: target.port) else {
                close(client)
                continue
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                logger.warning("relay: cannot reach \(target.host):\(target.port)")
                close(upstream)
                close(client)
                continue
            }
            let pair = SocketPair(client, upstream)
            Self.pipe(from: client, to: upstream, pair: pair)
            Self.pipe(from: upstream, to: client, pair: pair)
        }
    }

    /// Copies bytes one way until EOF, then half-closes the other side.
    private static func pipe(from source: Int32, to destination: Int32, pair: SocketPair) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                var sent = 0
                while sent < count {
                    let n = buffer.withUnsafeBytes { send(destination, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
                    if n <= 0 { break }
                    sent += n
                }
                if sent < count { break }
            }
            shutdown(destination, Int32(SHUT_WR))
            shutdown(source, Int32(SHUT_RD))
            pair.directionDone()
        }
        thread.name = "kafka-relay-pipe"
        thread.start()
    }
}

/// The two descriptors of one relayed connection, closed together once both directions end,
/// so a descriptor number is never reused while the other direction still writes to it.
private final class SocketPair: Sendable {
    private let first: Int32
    private let second: Int32
    private let open = Atomic<Int>(2)

    init(_ first: Int32, _ second: Int32) {
        self.first = first
        self.second = second
    }

    func directionDone() {
        if open.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            close(first)
            close(second)
        }
    }
}

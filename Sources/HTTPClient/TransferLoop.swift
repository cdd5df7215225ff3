import CCurl
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs every transfer of one ``HTTPClient`` on one dedicated thread around one libcurl multi
/// handle.
///
/// Why one thread: `curl_multi_poll` blocks, and blocking calls must stay off the Swift
/// concurrency pool. One multi handle also means one connection cache shared by all requests.
/// Callers only touch the shared command queue under a mutex and call `curl_multi_wakeup`,
/// which libcurl documents as safe from any thread; everything else on the multi handle, the
/// easy handles and the transfers happens on the loop thread.
final class TransferLoop: @unchecked Sendable {
    /// Work handed from callers to the loop thread.
    private enum Command {
        case start(Transfer)
        case cancel(UInt64)
    }

    private struct Shared {
        var commands: [Command] = []
        /// Coalesces wake-ups: one per loop iteration is enough however many requests arrive.
        var wakeupPending = false
        var isShutdown = false
    }

    private let multi: UnsafeMutableRawPointer
    private let shared = Mutex(Shared())
    private let nextID = Atomic<UInt64>(1)
    private let activeCount = Atomic<Int>(0)
    private let configuration: HTTPClient.Configuration
    private let logger: Logger

    // Loop-thread state.
    private var active: [UInt64: Transfer] = [:]
    private var idleHandles: [EasyHandle] = []
    private static let maxIdleHandles = 512
    /// Upper bound on one wait; libcurl shortens it when one of its timers is due sooner.
    private static let pollTimeoutMilliseconds: Int32 = 1000

    init(configuration: HTTPClient.Configuration, logger: Logger) {
        _ = curlGlobalInit
        // curl_multi_init returns NULL only when memory is exhausted.
        guard let multi = curl_multi_init() else {
            fatalError("curl_multi_init failed: out of memory")  // invariant: only when memory is exhausted, before any request
        }
        self.multi = multi
        self.configuration = configuration
        self.logger = logger
        let total = max(0, configuration.maxConnections)
        // Both the limit on open connections and the idle cache: after a burst the connections
        // stay warm for the next one instead of being closed down to libcurl's default.
        _ = sb_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, total)
        _ = sb_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, total)
        _ = sb_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(0, configuration.maxConnectionsPerHost))
    }

    deinit {
        // Kept until the last reference goes, not when the thread ends, so a late
        // curl_multi_wakeup from a caller never touches a freed handle.
        curl_multi_cleanup(multi)
    }

    /// Starts the loop thread. The thread keeps the loop alive until shutdown.
    func startThread() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            let loop = Unmanaged<TransferLoop>.fromOpaque(context!).takeRetainedValue()
            sb_set_thread_name("http-client")
            loop.run()
            return nil
        }, context)
        guard result == 0 else {
            fatalError("cannot start the HTTP client thread: error \(result)")  // invariant: the process is out of threads or memory
        }
        pthread_detach(thread)
    }

    /// Transfers started and not yet finished.
    var activeTransferCount: Int { activeCount.load(ordering: .relaxed) }

    func makeTransferID() -> UInt64 {
        nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Queues a transfer. Must be called from the task that awaits it: the cancellation check
    /// happens under the same lock a cancel command takes, so a cancellation is never lost
    /// between the check and the enqueue.
    func submit(_ transfer: Transfer) {
        enum Outcome { case queued(wake: Bool), cancelled, shutdown }
        let outcome = shared.withLock { state -> Outcome in
            if state.isShutdown { return .shutdown }
            if Task.isCancelled { return .cancelled }
            state.commands.append(.start(transfer))
            defer { state.wakeupPending = true }
            return .queued(wake: !state.wakeupPending)
        }
        switch outcome {
        case .queued(let wake):
            if wake { curl_multi_wakeup(multi) }
        case .cancelled:
            transfer.fail(HTTPClientError(code: .cancelled, message: "\(transfer.request.method) \(transfer.request.origin): cancelled before start"))
        case .shutdown:
            transfer.fail(HTTPClientError(code: .shutdown, message: "\(transfer.request.method) \(transfer.request.origin): the HTTP client is shut down"))
        }
    }

    /// Asks the loop to abandon a transfer; unknown or finished ids are ignored.
    func cancel(_ id: UInt64) {
        enqueue(.cancel(id))
    }

    /// Fails every transfer with ``HTTPClientError/Code/shutdown`` and stops the thread.
    func shutdown() {
        let wake = shared.withLock { state -> Bool in
            guard !state.isShutdown else { return false }
            state.isShutdown = true
            return true
        }
        if wake { curl_multi_wakeup(multi) }
    }

    private func enqueue(_ command: Command) {
        let wake = shared.withLock { state -> Bool in
            guard !state.isShutdown else { return false }
            state.commands.append(command)
            defer { state.wakeupPending = true }
            return !state.wakeupPending
        }
        if wake { curl_multi_wakeup(multi) }
    }

    private func run() {
        logger.debug("HTTP client loop started")
        var running: Int32 = 0
        var remaining: Int32 = 0
        while true {
            let (commands, stopping) = shared.withLock { state -> ([Command], Bool) in
                state.wakeupPending = false
                var taken: [Command] = []
                swap(&taken, &state.commands)
                return (taken, state.isShutdown)
            }
            for command in commands {
                switch command {
                case .start(let transfer) where stopping:
                    transfer.fail(HTTPClientError(code: .shutdown, message: "\(transfer.request.method) \(transfer.request.origin): the HTTP client is shut down"))
                case .start(let transfer):
                    start(transfer)
                case .cancel(let id):
                    abandon(id, with: .cancelled, reason: "cancelled")
                }
            }
            if stopping { break }
            curl_multi_perform(multi, &running)
            while let message = curl_multi_info_read(multi, &remaining) {
                guard sb_msg_is_done(message) != 0, let easy = message.pointee.easy_handle else { continue }
                finish(easy: easy, result: sb_msg_result(message))
            }
            curl_multi_poll(multi, nil, 0, Self.pollTimeoutMilliseconds, nil)
        }
        for id in Array(active.keys) {
            abandon(id, with: .shutdown, reason: "the HTTP client is shut down")
        }
        idleHandles.removeAll()
        logger.debug("HTTP client loop stopped")
    }

    private func start(_ transfer: Transfer) {
        guard let easy = idleHandles.popLast() ?? EasyHandle() else {
            transfer.fail(HTTPClientError(code: .transport, message: "\(transfer.request.method) \(transfer.request.origin): cannot allocate a transfer"))
            return
        }
        do {
            try easy.prepare(for: transfer)
        } catch {
            recycle(easy)
            transfer.fail(error)
            return
        }
        let code = curl_multi_add_handle(multi, easy.raw)
        guard code == CURLM_OK else {
            recycle(easy)
            transfer.fail(HTTPClientError(code: .transport, message: "\(transfer.request.method) \(transfer.request.origin): \(String(cString: curl_multi_strerror(code)))"))
            return
        }
        transfer.easy = easy
        active[transfer.id] = transfer
        activeCount.store(active.count, ordering: .relaxed)
    }

    private func finish(easy raw: UnsafeMutableRawPointer, result: CURLcode) {
        var context: UnsafeMutableRawPointer?
        guard sb_easy_getinfo_private(raw, &context) == CURLE_OK, let context else { return }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        guard let easy = detach(transfer) else { return }
        transfer.complete(result, curlDetail: easy.errorMessage, responseCode: easy.responseCode)
        if result != CURLE_OK {
            logger.debug("HTTP transfer failed", metadata: ["origin": "\(transfer.request.origin)", "curl": "\(result.rawValue)"])
        }
        recycle(easy)
    }

    private func abandon(_ id: UInt64, with code: HTTPClientError.Code, reason: String) {
        guard let transfer = active[id], let easy = detach(transfer) else { return }
        // Removing a transfer mid-response makes libcurl close its connection rather than
        // return it to the cache, so the next request cannot read this one's leftovers.
        transfer.fail(HTTPClientError(code: code, message: "\(transfer.request.method) \(transfer.request.origin): \(reason)"))
        recycle(easy)
    }

    /// Removes the transfer's handle from the multi handle; after this no callback can reach it.
    private func detach(_ transfer: Transfer) -> EasyHandle? {
        guard let easy = transfer.easy else { return nil }
        curl_multi_remove_handle(multi, easy.raw)
        transfer.easy = nil
        active[transfer.id] = nil
        activeCount.store(active.count, ordering: .relaxed)
        return easy
    }

    private func recycle(_ easy: EasyHandle) {
        guard idleHandles.count < Self.maxIdleHandles else { return }
        easy.reset()
        idleHandles.append(easy)
    }
}

/// libcurl's global state, set up once per process before the first handle; it is not
/// thread-safe to set up concurrently, and a lazy global is initialised exactly once.
private let curlGlobalInit: CURLcode = sb_global_init_all()

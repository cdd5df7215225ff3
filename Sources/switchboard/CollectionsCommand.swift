import ArgumentParser
import Foundation
import HTTPClient
import Logging
import Switchboard

/// Talks to the embedding service's operator API (served beside /metrics by the process that
/// runs the embedder stage).
struct AdminOptions: ParsableArguments {
    @Option(name: .long, help: "The embedder process's ops address (default: the config's metrics host and port).")
    var admin: String?

    func baseURL(_ config: SwitchboardConfig) -> String {
        admin ?? "http://\(config.metrics.host):\(config.metrics.port)"
    }

    func call<T: Decodable>(_ method: String, _ url: String, body: [UInt8]? = nil, as type: T.Type) async throws -> (Int, T?) {
        let client = HTTPClient(logger: Logger(label: "switchboard.admin"))
        defer { client.shutdown() }
        let response: HTTPResponse
        do {
            response = try await client.execute(HTTPRequest(method: method, url: url, headers: ["content-type": "application/json"],
                                                            body: body, timeout: .seconds(120)))
        } catch {
            throw ValidationError("the embedding service at \(url) did not answer (\(error)): is 'switchboard run all' (or run embedder) running?")
        }
        if response.status >= 400, response.status != 409 {
            throw ValidationError("\(url): HTTP \(response.status): \(response.bodyText)")
        }
        return (response.status, try? JSONDecoder().decode(T.self, from: Data(response.body)))
    }
}

/// `switchboard collections`: collections, their versions and counts, which one is active.
struct CollectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collections", abstract: "List collections, their index versions, counts, and the active version.")

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @OptionGroup var admin: AdminOptions
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let (_, list) = try await admin.call("GET", admin.baseURL(config) + "/collections", as: [CollectionAdmin.CollectionInfo].self)
        guard let list else { throw ValidationError("unexpected answer from the embedding service") }
        if json {
            print(String(decoding: EventCoding.encode(list), as: UTF8.self))
            return
        }
        if list.isEmpty { print("no collections yet: switchboard ingest PATH --collection NAME") }
        let header = ["collection", "version", "active", "documents", "chunks", "model", "chunk tokens"]
        var rows: [[String]] = []
        for collection in list {
            for version in collection.versions {
                rows.append([collection.collection, version.name, version.active ? "*" : "", String(version.documents), String(version.chunks),
                             version.model, "\(version.chunkMaxTokens)/\(version.chunkOverlapTokens)"])
            }
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }
}

/// `switchboard reindex --collection C`: a new version from the ingest topic, then the switch.
struct ReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Re-index a collection with the current embedding settings; queries use the old version until the switch.")

    @Option(name: .long, help: "The collection.")
    var collection: String

    @Flag(name: .long, help: "Start it and return without waiting.")
    var noWait = false

    @OptionGroup var admin: AdminOptions
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let url = admin.baseURL(config) + "/collections/\(collection)/reindex"
        let (code, started) = try await admin.call("POST", url, as: ReindexStatus.self)
        guard var status = started else { throw ValidationError("unexpected answer from the embedding service") }
        print(code == 409 ? "a re-index of \(collection) is already running: \(status.from ?? "-") → \(status.to)"
                          : "re-indexing \(collection): \(status.from ?? "(none)") → \(status.to); queries use the active version until the switch")
        if noWait { return }
        let bar = ProgressBar(label: "reindex \(collection)")
        while status.state == .running {
            try await Task.sleep(for: .milliseconds(500))
            let (_, next) = try await admin.call("GET", url, as: ReindexStatus.self)
            if let next { status = next }
            bar.update(done: status.read, total: max(status.total, status.read),
                       detail: "indexed \(status.indexed) chunks \(status.chunks) unchanged \(status.unchanged) failed \(status.failed)")
        }
        bar.finish()
        switch status.state {
        case .done:
            let seconds = Double((status.finishedMs ?? status.startedMs) - status.startedMs) / 1000
            print("done in \(String(format: "%.1f", seconds)) s: \(status.indexed) documents, \(status.chunks) chunks, \(status.failed) failed; \(collection) now points at \(status.to)")
        case .failed:
            throw ValidationError("re-index failed, \(collection) still points at \(status.from ?? "nothing"): \(status.error ?? "")")
        case .running:
            break
        }
    }
}

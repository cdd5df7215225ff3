import VectorStores

/// One version of a collection's index: the embedding model and the chunker settings that built
/// it, and a sequence number. Its name says all of it, `<collection>--<model>-c<max>-o<overlap>[-t]--v<n>`
/// (for example `python-docs--minilm-c256-o32--v2`), so a store needs no side table, and the
/// embedder writing into an existing version uses that version's own settings even after the
/// configuration changed (until `switchboard reindex` builds a new one).
public struct IndexVersion: Sendable, Hashable, CustomStringConvertible {
    public var collection: String
    public var model: String
    public var chunker: ChunkerSettings
    /// Whether each chunk's embedded text starts with the document title and heading path.
    public var embedTitle: Bool
    public var sequence: Int

    public init(collection: String, model: String, chunker: ChunkerSettings, embedTitle: Bool, sequence: Int) {
        self.collection = collection
        self.model = model
        self.chunker = chunker
        self.embedTitle = embedTitle
        self.sequence = sequence
    }

    /// The version the settings would build as number `sequence`.
    public init(collection: String, settings: EmbeddingSettings, sequence: Int) {
        self.init(collection: collection, model: settings.model, chunker: settings.chunker,
                  embedTitle: settings.embedTitle, sequence: sequence)
    }

    /// The model and chunker part of the name.
    public var fingerprint: String {
        "\(model)-c\(chunker.maxTokens)-o\(chunker.overlapTokens)\(embedTitle ? "-t" : "")"
    }

    public var name: String { "\(collection)--\(fingerprint)--v\(sequence)" }
    public var description: String { name }

    /// Parses an index name; nil for names that are not index versions.
    public init?(name: String) {
        let parts = name.components(separatedBy: "--")
        guard parts.count == 3, parts[2].hasPrefix("v"), let sequence = Int(parts[2].dropFirst()) else { return nil }
        var fields = parts[1].split(separator: "-").map(String.init)
        let embedTitle = fields.last == "t"
        if embedTitle { fields.removeLast() }
        guard fields.count == 3, fields[1].hasPrefix("c"), fields[2].hasPrefix("o"),
              let maxTokens = Int(fields[1].dropFirst()), let overlap = Int(fields[2].dropFirst()) else { return nil }
        let chunker = ChunkerSettings(maxTokens: maxTokens, overlapTokens: overlap)
        guard chunker.maxTokens == maxTokens, chunker.overlapTokens == overlap else { return nil }
        self.init(collection: parts[0], model: fields[0], chunker: chunker, embedTitle: embedTitle, sequence: sequence)
    }
}

/// Collections as aliases over index versions in one store.
public struct CollectionDirectory: Sendable {
    public let store: any VectorStore
    public let settings: EmbeddingSettings
    public let dimension: Int

    public init(store: any VectorStore, settings: EmbeddingSettings, dimension: Int) {
        self.store = store
        self.settings = settings
        self.dimension = dimension
    }

    /// The version queries use now, or nil when the collection has none.
    public func active(_ collection: String) async throws -> IndexVersion? {
        guard let name = try await store.resolveAlias(collection) else { return nil }
        guard let version = IndexVersion(name: name) else {
            throw VectorStoreError(.corrupt, "collection \(collection) points at \(name), which is not an index version name")
        }
        return version
    }

    /// The version live ingestion writes into: the active one, or a first version built with the
    /// configured settings (created and made active here; concurrent first writers agree on it).
    public func writeTarget(_ collection: String) async throws -> IndexVersion {
        if let active = try await active(collection) { return active }
        let first = IndexVersion(collection: collection, settings: settings, sequence: 1)
        try await store.createIndex(name: first.name, dimension: dimension)
        if try await store.resolveAlias(collection) == nil {
            try await store.setAlias(collection, to: first.name)
        }
        return try await active(collection) ?? first
    }

    /// Every version live ingestion writes into: the active one first, then any newer one being
    /// built by a re-index, so that the new version misses nothing when the alias switches.
    public func writeTargets(_ collection: String) async throws -> [IndexVersion] {
        let active = try await writeTarget(collection)
        let building = try await versions(collection).map(\.version).filter { $0.sequence > active.sequence }
        return [active] + building
    }

    /// Every version of `collection` in the store, oldest first.
    public func versions(_ collection: String) async throws -> [(version: IndexVersion, info: IndexInfo)] {
        try await store.listIndexes()
            .compactMap { info in IndexVersion(name: info.name).flatMap { $0.collection == collection ? ($0, info) : nil } }
            .sorted { $0.version.sequence < $1.version.sequence }
    }

    /// A new version with the configured settings, numbered after every existing one.
    public func nextVersion(_ collection: String) async throws -> IndexVersion {
        let last = try await versions(collection).last?.version.sequence ?? 0
        return IndexVersion(collection: collection, settings: settings, sequence: last + 1)
    }
}

import Foundation

/// Reads the documents of an ingestion job: a directory (each file a document, its id the
/// relative path) or a JSON Lines file of `{"id", "title", "text", "metadata"}` (BEIR's corpus
/// layout). A document that cannot be read is returned as a failure with its reason; it never
/// stops the others.
public enum DocumentSource {
    public enum Item: Sendable {
        case document(IngestDocument)
        case unreadable(id: String, reason: String)
    }

    /// Files larger than this are reported, not read.
    public static let maxFileBytes = 16 << 20

    public static func load(path: String, format: IngestDocument.Format? = nil) throws -> [Item] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DocumentSourceError("\(path) does not exist")
        }
        return isDirectory.boolValue ? directory(path, format: format) : try jsonLines(path, format: format)
    }

    static func directory(_ root: String, format: IngestDocument.Format?) -> [Item] {
        let base = URL(fileURLWithPath: root, isDirectory: true).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey],
                                                         options: [.skipsHiddenFiles]) else { return [] }
        var items: [Item] = []
        for case let url as URL in walker {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values?.isRegularFile == true else { continue }
            let id = String(url.standardizedFileURL.path.dropFirst(base.path.count).drop { $0 == "/" })
            if let size = values?.fileSize, size > maxFileBytes {
                items.append(.unreadable(id: id, reason: "\(size) bytes: larger than the \(maxFileBytes >> 20) MiB limit"))
                continue
            }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                items.append(.unreadable(id: id, reason: "cannot be read (permissions?)"))
                continue
            }
            guard let text = String(data: data, encoding: .utf8), !text.contains("\u{0}") else {
                items.append(.unreadable(id: id, reason: "not UTF-8 text"))
                continue
            }
            let ext = url.pathExtension.lowercased()
            let fileFormat = format ?? (["md", "markdown", "mdx"].contains(ext) ? .markdown : .text)
            let title = fileFormat == .markdown ? markdownTitle(text) ?? url.lastPathComponent : url.lastPathComponent
            items.append(.document(IngestDocument(id: id, title: title, text: text, format: fileFormat, metadata: ["path": id])))
        }
        return items.sorted { id(of: $0) < id(of: $1) }
    }

    static func jsonLines(_ path: String, format: IngestDocument.Format?) throws -> [Item] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DocumentSourceError("\(path) cannot be read") }
        var items: [Item] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            struct Line: Decodable {
                var id: String?
                var _id: String?
                var title: String?
                var text: String?
                var metadata: [String: String]?
            }
            guard let record = try? JSONDecoder().decode(Line.self, from: Data(line)) else {
                items.append(.unreadable(id: "line \(lineNumber)", reason: "not a JSON object with string fields id, title, text, metadata"))
                continue
            }
            guard let id = record.id ?? record._id, !id.isEmpty else {
                items.append(.unreadable(id: "line \(lineNumber)", reason: "no \"id\""))
                continue
            }
            guard let text = record.text else {
                items.append(.unreadable(id: id, reason: "line \(lineNumber): no \"text\""))
                continue
            }
            items.append(.document(IngestDocument(id: id, title: record.title, text: text, format: format ?? .text, metadata: record.metadata)))
        }
        return items
    }

    static func markdownTitle(_ text: String) -> String? {
        for line in text.split(separator: "\n", maxSplits: 50) where line.hasPrefix("# ") {
            return line.dropFirst(2).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    static func id(of item: Item) -> String {
        switch item {
        case .document(let document): document.id
        case .unreadable(let id, _): id
        }
    }
}

public struct DocumentSourceError: Error, CustomStringConvertible {
    public var description: String
    init(_ message: String) { description = message }
}

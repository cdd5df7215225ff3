import VectorStores

/// Puts retrieved chunks into a chat request, numbered so the answer can cite them as [1], [2]…
public enum RetrievalPrompt {
    /// The system message with the sources; when `hits` is empty it says there are none, so the
    /// model says so plainly instead of answering from nowhere.
    public static func systemMessage(collection: String, hits: [VectorHit], maxChars: Int) -> String {
        guard !hits.isEmpty else {
            return """
            No passage in the document collection "\(collection)" matched this question. Say plainly that the \
            collection has nothing on it; do not make up sources.
            """
        }
        var text = """
        Answer from the numbered sources below, taken from the document collection "\(collection)". Cite the sources \
        you use as [n]. If they do not answer the question, say so.

        """
        var used = 0
        for (index, hit) in hits.enumerated() {
            let title = hit.metadata["title"].map { " — \($0)" } ?? ""
            var body = hit.text
            if used + body.count > maxChars { body = String(body.prefix(max(0, maxChars - used))) }
            used += body.count
            text += "\n[\(index + 1)] \(hit.documentID)\(title)\n\(body)\n"
            if used >= maxChars { break }
        }
        return text
    }

    /// `messages` with the sources message placed after the caller's own system messages.
    public static func inject(_ system: String, into messages: [ChatMessage]) -> [ChatMessage] {
        let leading = messages.prefix { $0.role == "system" || $0.role == "developer" }.count
        var result = messages
        result.insert(ChatMessage(role: "system", content: system), at: leading)
        return result
    }

    /// The text to search with: the last user turn.
    public static func query(of messages: [ChatMessage]) -> String? {
        messages.last { $0.role == "user" }?.content
    }
}

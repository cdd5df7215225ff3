/// Splits a `text/event-stream` body into events as chunks arrive. Chunk boundaries follow the
/// network, so an event may span chunks; only complete events (ended by a blank line) come out.
struct ServerSentEvents {
    /// One event: its `event:` name (if any) and its `data:` lines joined by newlines.
    struct Event: Equatable {
        var name: String?
        var data: String
    }

    private var buffer: [UInt8] = []
    private var name: String?
    private var data: [String] = []

    /// Feeds a chunk and returns the events it completed.
    mutating func feed(_ chunk: [UInt8]) -> [Event] {
        buffer.append(contentsOf: chunk)
        var events: [Event] = []
        var start = 0
        while let newline = buffer[start...].firstIndex(of: 0x0A) {
            var line = buffer[start..<newline]
            if line.last == 0x0D { line = line.dropLast() }
            start = newline + 1
            if line.isEmpty {
                if !data.isEmpty || name != nil { events.append(Event(name: name, data: data.joined(separator: "\n"))) }
                name = nil
                data = []
                continue
            }
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix(":") { continue }
            let (field, value) = Self.split(text)
            switch field {
            case "data": data.append(value)
            case "event": name = value
            default: break
            }
        }
        buffer.removeFirst(start)
        return events
    }

    private static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.first == " " { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}

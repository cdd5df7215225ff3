import Foundation

/// What the router looks at in a request, extracted once: the text of the last user turn, the
/// prompt's length in tokens, whether it holds code, and the caller's hints.
public struct PromptFeatures: Sendable {
    public var tenant: String
    public var metadata: [String: String]
    /// The last user turn (what semantic routing embeds and keywords are searched in).
    public var lastUserTurn: String
    /// Tokens of every message together.
    public var tokens: Int
    public var hasCode: Bool
    public var collection: String?

    public init(tenant: String, request: ChatRequest, countTokens: (String) -> Int) {
        self.tenant = tenant
        metadata = request.metadata ?? [:]
        lastUserTurn = request.messages.last(where: { $0.role == "user" })?.content ?? request.messages.last?.content ?? ""
        tokens = request.messages.reduce(0) { $0 + countTokens($1.content) }
        hasCode = CodeDetector.containsCode(lastUserTurn)
        collection = request.retrieval?.collection
    }

    /// The caller's task hint (`metadata.task`).
    public var task: String? { metadata["task"] }
}

/// A cheap test for source code in a prompt: a fenced block, or several lines that only code
/// writes (statement ends, declarations, braces). Prose that mentions code words does not count.
public enum CodeDetector {
    /// Line shapes typical of code in the common languages.
    private static let lineSignals: NSRegularExpression = {
        let alternatives = [
            #"^\s*(def|class|fn|func|function|public|private|static|import|from|package|using|#include|var|let|const|return|if|for|while|elif|else|try|catch|except)\b.*[:{(;=]\s*$"#,
            #";\s*$"#,
            #"^\s*[}\])]+[;,]?\s*$"#,
            #"\)\s*\{\s*$"#,
            #"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER)\b.*\b(FROM|INTO|SET|TABLE|WHERE)\b"#,
            #"=>|->|::|\+\+|!==|===|&&|\|\|"#,
            #"^\s*(<\?php|<script|<div|<html|#!/)"#,
            #"^\s*[A-Za-z_][A-Za-z0-9_.]*\(.*\)\s*;?\s*$"#,
        ]
        // The patterns are literals checked by the tests; failing here is a programming error.
        return try! NSRegularExpression(pattern: alternatives.joined(separator: "|"), options: [.anchorsMatchLines])  // invariant: literal patterns, compiled by the tests
    }()

    /// A declaration that opens a block (`def f(x):`, `func f() {`): code on its own.
    private static let declaration: NSRegularExpression = {
        let pattern = #"^\s*(def|class|fn|func|function|fun|async def|public class|struct|impl|interface)\s+[A-Za-z_][A-Za-z0-9_]*.*[:{]\s*$"#
        // A literal checked by the tests, as above.
        return try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])  // invariant: a literal pattern, compiled by the tests
    }()

    /// Whether `text` contains code: a fenced block, a block-opening declaration, or at least
    /// two code-like lines.
    public static func containsCode(_ text: String) -> Bool {
        if text.contains("```") { return true }
        if declaration.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil { return true }
        let lines = text.split(whereSeparator: \.isNewline)
        var signals = 0
        for line in lines.prefix(400) {
            let string = String(line)
            let range = NSRange(string.startIndex..., in: string)
            if lineSignals.firstMatch(in: string, range: range) != nil {
                signals += 1
                if signals >= 2 { return true }
            }
        }
        return false
    }
}

import Foundation

extension GatewayStage {
    struct Rejection: Error {
        var error: ReplyError
        var deadLetter: DeadLetterReason?
    }

    /// Size, JSON, the version's contract schema, then the internal form: a malformed body is
    /// rejected with a dead-letter reason.
    func inspect(_ value: [UInt8]?, version: RequestVersion) -> Result<ChatRequest, Rejection> {
        guard let value, !value.isEmpty else {
            return .failure(Rejection(error: ReplyError(.invalidRequest, "the request has no body"),
                                      deadLetter: DeadLetterReason(code: "empty", detail: "no value")))
        }
        guard value.count <= settings.maxRequestBytes else {
            return .failure(Rejection(error: ReplyError(.payloadTooLarge, "the request is \(value.count) bytes; the limit is \(settings.maxRequestBytes)"),
                                      deadLetter: DeadLetterReason(code: "payload_too_large", detail: "\(value.count) bytes")))
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(value)
        } catch {
            return .failure(Rejection(error: ReplyError(.invalidRequest, "the request body is not valid JSON (UTF-8)"),
                                      deadLetter: DeadLetterReason(code: "not_json", detail: String("\(error)".prefix(300)))))
        }
        let violations = contracts[version]?.schema.validate(json) ?? []
        guard violations.isEmpty else {
            let detail = violations.map(\.description).joined(separator: "; ")
            return .failure(Rejection(error: ReplyError(.invalidRequest, "the request does not match \(version.contract): \(detail.prefix(2000))"),
                                      deadLetter: DeadLetterReason(code: "schema", detail: detail)))
        }
        do {
            switch version {
            case .v1: return .success(try EventCoding.decode(ChatRequest.self, from: value))
            case .v2: return .success(try EventCoding.decode(ChatRequestV2.self, from: value).upcast())
            }
        } catch {
            return .failure(Rejection(error: ReplyError(.invalidRequest, "the request could not be read: \(String("\(error)".prefix(500)))"),
                                      deadLetter: DeadLetterReason(code: "schema", detail: "\(error)")))
        }
    }

    /// Limits from the config that the schema alone cannot express.
    func checkLimits(_ request: ChatRequest, promptTokens: Int) -> ReplyError? {
        if request.messages.count > settings.maxMessages {
            return ReplyError(.invalidRequest, "\(request.messages.count) messages; at most \(settings.maxMessages) are allowed")
        }
        if let role = request.messages.first(where: { !settings.allowedRoles.contains($0.role) })?.role {
            return ReplyError(.invalidRequest, "role '\(role)' is not allowed (allowed: \(settings.allowedRoles.joined(separator: ", ")))")
        }
        let promptBytes = request.messages.reduce(0) { $0 + $1.content.utf8.count }
        if promptBytes > settings.maxPromptBytes {
            return ReplyError(.payloadTooLarge, "the prompt is \(promptBytes) bytes of text; the limit is \(settings.maxPromptBytes): shorten the messages")
        }
        if promptTokens > settings.maxPromptTokens {
            return ReplyError(.payloadTooLarge, "the prompt is about \(promptTokens) tokens; the limit is \(settings.maxPromptTokens): shorten the messages")
        }
        if let maxTokens = request.maxTokens, maxTokens < 1 || maxTokens > settings.maxTokensLimit {
            return ReplyError(.invalidRequest, "max_tokens \(maxTokens) is outside 1...\(settings.maxTokensLimit)")
        }
        if let metadata = request.metadata {
            let bytes = EventCoding.encode(metadata).count
            if bytes > settings.maxMetadataBytes {
                return ReplyError(.invalidRequest, "metadata is \(bytes) bytes as JSON; the limit is \(settings.maxMetadataBytes)")
            }
        }
        return nil
    }

    /// The key's and tenant's scope: which models and retrieval collections they may use.
    func checkScope(_ request: ChatRequest, grant: KeyGrant) -> ReplyError? {
        let resolved = models.resolve(request.model)
        // With routing, `auto` is resolved by the router within the scope (`allowedModels`).
        let automatic = routed && (request.model == nil || request.model == "auto" || request.model == "")
        if !automatic && !grant.allows(model: request.model, resolved: resolved) {
            let allowed = Set(grant.keyScope.models + grant.tenantScope.models).sorted().joined(separator: ", ")
            return ReplyError(.forbidden, "model '\(request.model ?? resolved?.name ?? "auto")' is not allowed for this key (allowed: \(allowed))")
        }
        if let collection = request.retrieval?.collection, !grant.allows(collection: collection) {
            return ReplyError(.forbidden, "retrieval collection '\(collection.prefix(128))' is not allowed for this key")
        }
        return nil
    }
}

extension GatewayStage {
    /// The catalog models `grant` may use, for the router; nil when its scopes name none.
    func allowedModels(_ grant: KeyGrant) -> [String]? {
        guard !grant.keyScope.models.isEmpty || !grant.tenantScope.models.isEmpty else { return nil }
        return modelList.filter { grant.allows(model: $0.name, resolved: $0) }.map(\.name)
    }
}

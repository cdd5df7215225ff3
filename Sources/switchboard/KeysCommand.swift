import ArgumentParser
import Foundation
import Logging
import Switchboard

/// `switchboard keys`: API keys in the Redis key store (only their SHA-256 is kept), and the
/// hashes the config file stores.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke API keys; only their SHA-256 is ever stored.",
        subcommands: [Create.self, List.self, Revoke.self, Generate.self, Hash.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key in the Redis key store and print it once.")
        @Option(name: .long, help: "The tenant the key belongs to.")
        var tenant: String
        @Option(name: .long, help: "Key id, shown in logs and usage (default: derived from the hash).")
        var id: String?
        @Option(name: .long, help: "name=value: models=a,b collections=x rpm=N tpm=N concurrent=N daily_usd=D monthly_usd=D (repeatable).")
        var scope: [String] = []
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            var parsed = Scope()
            for setting in scope {
                do { try parsed.apply(setting) } catch { throw ValidationError(error.description) }
            }
            let store = try await KeysCommand.store(options)
            let (key, stored) = try await store.create(tenant: tenant, id: id, scope: parsed)
            print("key (shown once, store it now): \(key)")
            print("id: \(stored.id)  tenant: \(stored.tenant)  sha256: \(stored.sha256)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys of the Redis key store and of the config.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            let stored = try await KeysCommand.store(options).list()
            let revoked = Set(stored.filter { $0.revokedMs != nil }.map(\.sha256))
            print("source  tenant               id                       status   sha256")
            for tenant in config.tenants {
                for key in tenant.keys {
                    print(row("config", tenant.id, key.id, revoked.contains(key.sha256.lowercased()) ? "revoked" : "active", key.sha256))
                }
            }
            let configured = Set(config.tenants.flatMap { $0.keys.map { $0.sha256.lowercased() } })
            for key in stored where !configured.contains(key.sha256) {
                print(row("redis", key.tenant, key.id, key.revokedMs == nil ? "active" : "revoked", key.sha256))
            }
        }

        func row(_ source: String, _ tenant: String, _ id: String, _ status: String, _ hash: String) -> String {
            func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0) }
            return "\(pad(source, 7)) \(pad(tenant, 20)) \(pad(id, 24)) \(pad(status, 8)) \(hash.prefix(16))…"
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id; every gateway stops accepting it within gateway.key_cache_ms.")
        @Argument(help: "The key id.")
        var id: String
        @Option(name: .long, help: "Only the key of this tenant.")
        var tenant: String?
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            let revoked = try await KeysCommand.store(options).revoke(id: id, tenant: tenant, configured: config.tenants)
            guard !revoked.isEmpty else { throw ValidationError("no key with id '\(id)'") }
            for key in revoked { print("revoked \(key.id) (tenant \(key.tenant))") }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a new key once, with the config entry that stores its hash.")
        @Option(name: .long, help: "Key id, shown in logs and usage.")
        var id: String

        func run() {
            let key = KeyStore.generateKey()
            print("key (shown once): \(key)")
            print("config entry under the tenant's keys:")
            print("  - {id: \(id), sha256: \(KeyStore.hash(key))}")
        }
    }

    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the SHA-256 of a key.")
        @Argument var key: String
        func run() { print(KeyStore.hash(key)) }
    }

    static func store(_ options: ConfigOptions) async throws -> RedisKeyStore {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .warning) }
        let config = try options.load()
        let runtime = SwitchboardRuntime(config: config, catalog: TopicCatalog(contracts: []), logger: Logger(label: "switchboard.keys"))
        return RedisKeyStore(redis: try await runtime.connectRedis(), prefix: config.redis.keyPrefix)
    }
}

import ArgumentParser
import Switchboard

/// `switchboard keys`: make API keys and the hashes the config stores.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create API keys; only their SHA-256 goes into the configuration.",
        subcommands: [Generate.self, Hash.self])

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
}
